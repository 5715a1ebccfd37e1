import * as z from 'zod';
import type { Envelope } from './envelope';
import { exampleEnvelope } from './examples';
import { dataSchemas } from './schemas';
import { EVENT_TYPES, EVENT_TYPE_NAMES, type EventType } from './types';

/** One item of `GET /v1/event-types`. */
export interface CatalogEntry {
  type: EventType;
  /** The name admins see. */
  name: string;
  /** When the event fires. */
  description: string;
  /** JSON Schema (2020-12, usable in OpenAPI 3.1) of the event's `data`. */
  schema: Record<string, unknown>;
  /** A full body as a receiver gets it. */
  example: Envelope;
}

const DESCRIPTIONS: Record<EventType, string> = {
  'assignment.completed': 'Fires when a learner completes an assignment.',
  'content.completed': 'Fires when a learner completes a piece of content.',
  'badge.awarded': 'Fires when a badge is awarded to a learner.',
  'workshop.attended': "Fires when a learner's attendance at a workshop session is recorded.",
};

let cached: readonly CatalogEntry[] | undefined;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * The event catalog of contract section 1, in `EVENT_TYPES` order.
 *
 * Built on first call and then shared, because JSON Schema generation is not free and the
 * result never changes; it is frozen so no caller can alter what the next one gets.
 */
export function eventCatalog(): readonly CatalogEntry[] {
  cached ??= deepFreeze(
    EVENT_TYPES.map((type) => ({
      type,
      name: EVENT_TYPE_NAMES[type],
      description: DESCRIPTIONS[type],
      schema: z.toJSONSchema(dataSchemas[type]) as Record<string, unknown>,
      example: exampleEnvelope(type),
    })),
  );
  return cached;
}
