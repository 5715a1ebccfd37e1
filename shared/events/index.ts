export { EVENT_TYPES, EVENT_TYPE_NAMES, VALIDATION_EVENT_TYPE, isEventType, type EventType } from './types';
export {
  userSchema,
  assignmentCompletedDataSchema,
  contentCompletedDataSchema,
  badgeAwardedDataSchema,
  workshopAttendedDataSchema,
  dataSchemas,
  tenantIdSchema,
  publishedDetailSchema,
  type PublishedDetailSchema,
  type User,
  type AssignmentCompletedData,
  type ContentCompletedData,
  type BadgeAwardedData,
  type WorkshopAttendedData,
  type EventDataMap,
  type EventData,
  type PublishedDetail,
} from './schemas';
export { parseDetail, type DetailIssue, type ParseDetailResult } from './parse';
export type { Envelope } from './envelope';
export { exampleData, exampleEnvelope, EXAMPLE_TENANT_ID, EXAMPLE_WEBHOOK_ID } from './examples';
export { eventCatalog, type CatalogEntry } from './catalog';
