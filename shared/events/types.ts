/** The four event types the LMS publishes, with the names admins see (the seed's words). */
export const EVENT_TYPES = [
  'assignment.completed',
  'content.completed',
  'badge.awarded',
  'workshop.attended',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export const EVENT_TYPE_NAMES: Record<EventType, string> = {
  'assignment.completed': 'Assignment Completion',
  'content.completed': 'Content Completion',
  'badge.awarded': 'Badges Awarded',
  'workshop.attended': 'Workshop Attendance',
};

/** The type of the signed request sent by `POST /v1/webhooks/{id}/validate`. */
export const VALIDATION_EVENT_TYPE = 'webhook.validation';

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}
