/**
 * The zod schemas of each event type's `data` (contract section 1) and of the EventBridge
 * Detail upstream systems publish (section 2). Objects are plain `z.object`s, so unknown keys
 * are stripped rather than refused: receivers only ever get documented fields, and a
 * publisher adding a field does not stop deliveries.
 */
import * as z from 'zod';
import type { EventType } from './types';

const id = (what: string) => z.string().min(1).describe(`The ${what}'s id.`);

// `z.iso.datetime()` refuses offsets and local times: every timestamp a receiver sees is UTC.
const timestamp = (what: string) =>
  z.iso.datetime().describe(`${what}, ISO-8601 in UTC (e.g. 2026-03-04T09:30:00.000Z).`);

const contentType = z
  .string()
  .min(1)
  .describe('The kind of content as the LMS names it, e.g. "course", "video", "document", "scorm".');

/** The learner an event is about; common to every type. */
export const userSchema = z
  .object({
    id: id('user'),
    email: z.email().describe("The user's email address."),
    externalId: z
      .string()
      .min(1)
      .optional()
      .describe("The user's id in the customer's own systems (HRIS, SSO), when known."),
    firstName: z.string().optional().describe("The user's first name."),
    lastName: z.string().optional().describe("The user's last name."),
  })
  .describe('The learner the event is about.');

const contentRefSchema = z
  .object({
    id: id('content item'),
    title: z.string().describe('The content title shown to learners.'),
    type: contentType,
  })
  .describe('A piece of content.');

export const assignmentCompletedDataSchema = z
  .object({
    user: userSchema,
    assignment: z
      .object({
        id: id('assignment'),
        title: z.string().describe('The assignment title shown to learners.'),
        assignedAt: timestamp('When the assignment was given to the learner'),
        dueAt: timestamp('When the assignment was due').optional(),
        completedAt: timestamp('When the learner completed the assignment'),
        status: z
          .enum(['on_time', 'late'])
          .describe('"on_time" when completed by the due date (or there is none), else "late".'),
      })
      .describe('The completed assignment.'),
    content: z
      .array(contentRefSchema)
      .optional()
      .describe('The content items the assignment consists of.'),
  })
  .describe('Data of `assignment.completed`: a learner completed an assignment.');

export const contentCompletedDataSchema = z
  .object({
    user: userSchema,
    content: contentRefSchema.describe('The completed piece of content.'),
    completedAt: timestamp('When the learner completed the content'),
    score: z
      .object({
        raw: z.number().describe('The score the learner achieved.'),
        max: z.number().optional().describe('The highest possible score.'),
        passed: z.boolean().optional().describe('Whether the score met the pass mark.'),
      })
      .optional()
      .describe('The score, for content that is scored (quizzes, assessments).'),
    assignmentId: z
      .string()
      .min(1)
      .optional()
      .describe('The assignment this completion counts towards, if any.'),
  })
  .describe('Data of `content.completed`: a learner completed a piece of content.');

export const badgeAwardedDataSchema = z
  .object({
    user: userSchema,
    badge: z
      .object({
        id: id('badge'),
        name: z.string().describe('The badge name shown to learners.'),
        imageUrl: z
          .url({ protocol: /^https?$/ })
          .optional()
          .describe("The badge image's URL."),
      })
      .describe('The awarded badge.'),
    awardId: z
      .string()
      .min(1)
      .describe('The id of this award; a badge awarded twice to a learner has two.'),
    awardedAt: timestamp('When the badge was awarded'),
    awardedFor: z
      .object({
        type: z
          .string()
          .min(1)
          .describe('What kind of achievement earned it, e.g. "assignment", "content", "workshop".'),
        id: id('achievement'),
        title: z.string().describe("The achievement's title."),
      })
      .optional()
      .describe('The achievement that earned the badge, when it was awarded for one.'),
  })
  .describe('Data of `badge.awarded`: a badge was awarded to a learner.');

export const workshopAttendedDataSchema = z
  .object({
    user: userSchema,
    workshop: z
      .object({
        id: id('workshop'),
        title: z.string().describe('The workshop title shown to learners.'),
      })
      .describe('The workshop.'),
    session: z
      .object({
        id: id('session'),
        startsAt: timestamp('When the session starts'),
        endsAt: timestamp('When the session ends').optional(),
      })
      .describe('The session of the workshop the attendance is for.'),
    attendance: z
      .object({
        status: z
          .enum(['attended', 'no_show'])
          .describe('"attended" or "no_show" (registered but did not attend).'),
        recordedAt: timestamp('When the attendance was recorded'),
        durationMinutes: z
          .int()
          .min(0)
          .optional()
          .describe('How many minutes the learner attended.'),
      })
      .describe("The learner's recorded attendance."),
  })
  .describe("Data of `workshop.attended`: a learner's attendance at a workshop session was recorded.");

/** The schema of each event type's `data`. */
export const dataSchemas = {
  'assignment.completed': assignmentCompletedDataSchema,
  'content.completed': contentCompletedDataSchema,
  'badge.awarded': badgeAwardedDataSchema,
  'workshop.attended': workshopAttendedDataSchema,
} as const satisfies Record<EventType, z.ZodType>;

export type User = z.infer<typeof userSchema>;
export type AssignmentCompletedData = z.infer<typeof assignmentCompletedDataSchema>;
export type ContentCompletedData = z.infer<typeof contentCompletedDataSchema>;
export type BadgeAwardedData = z.infer<typeof badgeAwardedDataSchema>;
export type WorkshopAttendedData = z.infer<typeof workshopAttendedDataSchema>;

/** The `data` type of each event type. */
export type EventDataMap = { [T in EventType]: z.infer<(typeof dataSchemas)[T]> };
/** The `data` of any event type. */
export type EventData = EventDataMap[EventType];

/** The tenant id rule; it becomes part of table keys, hence the small alphabet. */
export const tenantIdSchema = z
  .string()
  .max(128)
  // The pattern also refuses the empty string, so one issue (not two) names an empty tenantId.
  .regex(/^[A-Za-z0-9._-]+$/, "Use 1 to 128 letters, digits, '.', '_' or '-'.")
  .describe('The tenant the event belongs to.');

/** A validated EventBridge Detail (contract section 2) of type `T`. */
export interface PublishedDetail<T extends EventType = EventType> {
  tenantId: string;
  /** The publisher's event id; publishing is idempotent on `(tenantId, id)`. */
  id?: string;
  /** When the event happened; defaults to the EventBridge `time`. */
  occurredAt?: string;
  data: EventDataMap[T];
}

function buildDetailSchema<T extends EventType>(type: T) {
  // Strict at the top level: a misspelt `occuredAt` or `tenantID` must not be silently
  // dropped, because it would change idempotency or the event time without anyone noticing.
  return z.strictObject({
    tenantId: tenantIdSchema,
    id: z.string().min(1).max(200).optional().describe("The publisher's event id."),
    occurredAt: timestamp('When the event happened').optional(),
    data: dataSchemas[type],
  });
}

export type PublishedDetailSchema<T extends EventType> = ReturnType<typeof buildDetailSchema<T>>;

const detailSchemas = new Map<EventType, PublishedDetailSchema<EventType>>();

/**
 * The schema of the EventBridge Detail published with DetailType `type`:
 * `{tenantId, id?, occurredAt?, data}`, refusing unknown top-level keys. Built once per type.
 */
export function publishedDetailSchema<T extends EventType>(type: T): PublishedDetailSchema<T> {
  let schema = detailSchemas.get(type);
  if (!schema) {
    schema = buildDetailSchema(type);
    detailSchemas.set(type, schema);
  }
  return schema as PublishedDetailSchema<T>;
}
