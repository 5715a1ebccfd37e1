/**
 * One realistic example per event type: served by `GET /v1/event-types` and sent by
 * `POST /v1/webhooks/{id}/test`, so receivers can build against it before real events flow.
 */
import type { Envelope } from './envelope';
export type { Envelope } from './envelope';
import type { EventDataMap } from './schemas';
import type { EventType } from './types';

const learner = {
  id: 'usr_8f3k2',
  email: 'priya.raman@acme-corp.com',
  externalId: 'EMP-004211',
  firstName: 'Priya',
  lastName: 'Raman',
};

const EXAMPLE_DATA: { readonly [T in EventType]: EventDataMap[T] } = {
  'assignment.completed': {
    user: learner,
    assignment: {
      id: 'asg_2m7qx',
      title: 'Annual Information Security Awareness 2026',
      assignedAt: '2026-01-12T08:00:00.000Z',
      dueAt: '2026-03-31T23:59:59.000Z',
      completedAt: '2026-03-04T14:27:31.000Z',
      status: 'on_time',
    },
    content: [
      { id: 'cnt_7hd21', title: 'Recognising Phishing Emails', type: 'video' },
      { id: 'cnt_7hd22', title: 'Handling Customer Data Safely', type: 'course' },
      { id: 'cnt_7hd23', title: 'Security Awareness Quiz', type: 'assessment' },
    ],
  },
  'content.completed': {
    user: learner,
    content: { id: 'cnt_7hd23', title: 'Security Awareness Quiz', type: 'assessment' },
    completedAt: '2026-03-04T14:27:31.000Z',
    score: { raw: 18, max: 20, passed: true },
    assignmentId: 'asg_2m7qx',
  },
  'badge.awarded': {
    user: learner,
    badge: {
      id: 'bdg_4tz9p',
      name: 'Security Champion',
      imageUrl: 'https://cdn.acme-lms.com/badges/security-champion.png',
    },
    awardId: 'awd_91c0f',
    awardedAt: '2026-03-04T14:27:33.000Z',
    awardedFor: {
      type: 'assignment',
      id: 'asg_2m7qx',
      title: 'Annual Information Security Awareness 2026',
    },
  },
  'workshop.attended': {
    user: learner,
    workshop: { id: 'wks_5b8rn', title: 'Giving Effective Feedback' },
    session: {
      id: 'ses_3k1vd',
      startsAt: '2026-04-15T13:00:00.000Z',
      endsAt: '2026-04-15T15:00:00.000Z',
    },
    attendance: { status: 'attended', recordedAt: '2026-04-15T15:12:08.000Z', durationMinutes: 115 },
  },
};

// The moment each example happened, so the envelope's occurredAt agrees with its data
// (and with the time part of its ULID-based event id).
const EXAMPLE_OCCURRED_AT: Record<EventType, string> = {
  'assignment.completed': '2026-03-04T14:27:31.000Z',
  'content.completed': '2026-03-04T14:27:31.000Z',
  'badge.awarded': '2026-03-04T14:27:33.000Z',
  'workshop.attended': '2026-04-15T15:12:08.000Z',
};

const EXAMPLE_EVENT_IDS: Record<EventType, string> = {
  'assignment.completed': 'evt_01KJWKYB1R3Q9M6N8P2T5V7W0Y',
  'content.completed': 'evt_01KJWKYB1RH5D2F8G4K6M9N3PQ',
  'badge.awarded': 'evt_01KJWKYD08S7T1V5W8X2Y6Z0AB',
  'workshop.attended': 'evt_01KP8V67A0F0G4H8J2K6M0N4PR',
};

/** The webhook id the examples are addressed to; a real-looking one so id checks accept it. */
export const EXAMPLE_WEBHOOK_ID = 'wh_01KJMAVYH0Q4V6M2N7P9R5T1W3';

/** The tenant id the examples belong to. */
export const EXAMPLE_TENANT_ID = 'acme';

/**
 * The example `data` of `type`. A fresh copy each call, so a caller that edits it (a test
 * breaking a field) cannot change what everyone else sees.
 */
export function exampleData<T extends EventType>(type: T): EventDataMap[T] {
  return structuredClone(EXAMPLE_DATA[type]);
}

/**
 * A full example body of `type` as a receiver gets it (contract section 4).
 *
 * @param overrides - fields to replace, e.g. a real `webhookId` when sending a test.
 */
export function exampleEnvelope(type: EventType, overrides: Partial<Envelope> = {}): Envelope {
  return {
    id: EXAMPLE_EVENT_IDS[type],
    type,
    occurredAt: EXAMPLE_OCCURRED_AT[type],
    tenantId: EXAMPLE_TENANT_ID,
    webhookId: EXAMPLE_WEBHOOK_ID,
    data: exampleData(type),
    ...overrides,
  };
}
