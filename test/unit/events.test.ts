import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  EVENT_TYPES,
  dataSchemas,
  eventCatalog,
  exampleData,
  exampleEnvelope,
  parseDetail,
  tenantIdSchema,
  type EventType,
} from '../../shared/events';
import { isId } from '../../shared/ids';

/** A published Detail built from the example, with overrides applied to the top level. */
function detailFor(type: EventType, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    tenantId: 'acme',
    id: 'pub-123',
    occurredAt: '2026-03-04T14:27:31.000Z',
    data: exampleData(type),
    ...overrides,
  };
}

function issuePaths(result: ReturnType<typeof parseDetail>): string[] {
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.issues.map((issue) => issue.path);
}

const envelopeSchema = z.strictObject({
  id: z.string().refine((value) => isId('event', value), 'not an event id'),
  type: z.enum(EVENT_TYPES),
  occurredAt: z.iso.datetime(),
  tenantId: tenantIdSchema,
  webhookId: z.string().refine((value) => isId('webhook', value), 'not a webhook id'),
  data: z.unknown(),
});

describe('examples', () => {
  it.each(EVENT_TYPES)('%s: the example data passes its schema unchanged', (type) => {
    const data = exampleData(type);

    const result = dataSchemas[type].safeParse(data);

    expect(result.error).toBeUndefined();
    expect(result.data).toEqual(data);
  });

  it.each(EVENT_TYPES)('%s: the example envelope is a valid receiver body', (type) => {
    const envelope = exampleEnvelope(type);

    expect(envelopeSchema.safeParse(envelope).error).toBeUndefined();
    expect(envelope.type).toBe(type);
    expect(envelope.tenantId).toBe('acme');
    expect(dataSchemas[type].safeParse(envelope.data).success).toBe(true);
  });

  it.each(EVENT_TYPES)('%s: the example publishes as a valid Detail', (type) => {
    const { tenantId, id, occurredAt, data } = exampleEnvelope(type);

    const result = parseDetail(type, { tenantId, id, occurredAt, data });

    expect(result).toEqual({ ok: true, value: { tenantId, id, occurredAt, data } });
  });

  it('applies overrides and hands out copies', () => {
    const envelope = exampleEnvelope('badge.awarded', { webhookId: 'wh_01KJMAVYH0ZZZZZZZZZZZZZZZZ' });
    (exampleData('badge.awarded') as { awardId: string }).awardId = 'changed';

    expect(envelope.webhookId).toBe('wh_01KJMAVYH0ZZZZZZZZZZZZZZZZ');
    expect(exampleData('badge.awarded').awardId).not.toBe('changed');
  });
});

describe('parseDetail', () => {
  it('accepts a Detail with only the required fields and strips unknown keys inside data', () => {
    const data = { ...exampleData('content.completed'), internalNote: 'do not leak' };

    const result = parseDetail('content.completed', { tenantId: 'acme', data });

    expect(result.ok).toBe(true);
    expect(result.ok && result.value.data).not.toHaveProperty('internalNote');
    expect(result.ok && result.value.id).toBeUndefined();
  });

  it('accepts timestamps without milliseconds', () => {
    const data = exampleData('workshop.attended');
    data.attendance.recordedAt = '2026-04-15T15:12:08Z';

    expect(parseDetail('workshop.attended', detailFor('workshop.attended', { data })).ok).toBe(true);
  });

  it('accepts the Detail as JSON text', () => {
    expect(parseDetail('badge.awarded', JSON.stringify(detailFor('badge.awarded'))).ok).toBe(true);
  });

  it('names data.user.email when the email is missing', () => {
    const data = exampleData('assignment.completed');
    delete (data.user as { email?: string }).email;

    expect(issuePaths(parseDetail('assignment.completed', detailFor('assignment.completed', { data })))).toEqual([
      'data.user.email',
    ]);
  });

  it('names data.user.email when the email is not an email', () => {
    const data = exampleData('badge.awarded');
    data.user.email = 'priya at acme';

    expect(issuePaths(parseDetail('badge.awarded', detailFor('badge.awarded', { data })))).toEqual([
      'data.user.email',
    ]);
  });

  it.each([
    ['an offset instead of UTC', '2026-03-04T15:27:31+01:00'],
    ['a local time', '2026-03-04T14:27:31'],
    ['a date only', '2026-03-04'],
    ['not a date', 'yesterday'],
    ['an impossible date', '2026-02-30T10:00:00Z'],
  ])('names the timestamp path for %s', (_label, value) => {
    const data = exampleData('assignment.completed');
    data.assignment.completedAt = value;

    expect(issuePaths(parseDetail('assignment.completed', detailFor('assignment.completed', { data })))).toEqual([
      'data.assignment.completedAt',
    ]);
  });

  it('names occurredAt when the top-level time is not ISO UTC', () => {
    const result = parseDetail('content.completed', detailFor('content.completed', { occurredAt: 1772634451000 }));

    expect(issuePaths(result)).toEqual(['occurredAt']);
  });

  it('refuses a status outside its enum', () => {
    const assignment = exampleData('assignment.completed');
    (assignment.assignment as { status: string }).status = 'early';
    const workshop = exampleData('workshop.attended');
    (workshop.attendance as { status: string }).status = 'absent';

    expect(issuePaths(parseDetail('assignment.completed', detailFor('assignment.completed', { data: assignment })))).toEqual(
      ['data.assignment.status'],
    );
    expect(issuePaths(parseDetail('workshop.attended', detailFor('workshop.attended', { data: workshop })))).toEqual([
      'data.attendance.status',
    ]);
  });

  it('names the array index of a content item without an id', () => {
    const data = exampleData('assignment.completed');
    delete (data.content![0] as { id?: string }).id;

    expect(issuePaths(parseDetail('assignment.completed', detailFor('assignment.completed', { data })))).toEqual([
      'data.content.0.id',
    ]);
  });

  it('refuses empty ids', () => {
    const data = exampleData('badge.awarded');
    data.badge.id = '';

    expect(issuePaths(parseDetail('badge.awarded', detailFor('badge.awarded', { data })))).toEqual(['data.badge.id']);
  });

  it('gives one detail-type issue for an unknown type', () => {
    const result = parseDetail('course.deleted', detailFor('badge.awarded'));

    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues).toHaveLength(1);
    expect(issuePaths(result)).toEqual(['detail-type']);
  });

  it('names each unknown top-level key', () => {
    const result = parseDetail('badge.awarded', detailFor('badge.awarded', { occuredAt: 'x', extra: true }));

    expect(issuePaths(result).sort()).toEqual(['extra', 'occuredAt']);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['with a slash', 'acme/other'],
    ['too long', 'a'.repeat(129)],
  ])('refuses a tenantId that is %s', (_label, tenantId) => {
    expect(issuePaths(parseDetail('badge.awarded', detailFor('badge.awarded', { tenantId })))).toEqual(['tenantId']);
  });

  it('refuses an id over 200 characters', () => {
    expect(issuePaths(parseDetail('badge.awarded', detailFor('badge.awarded', { id: 'x'.repeat(201) })))).toEqual([
      'id',
    ]);
  });

  it.each([
    ['null', null],
    ['a number', 42],
    ['an array', []],
    ['broken JSON text', '{"tenantId":'],
  ])('does not throw for a detail that is %s', (_label, detail) => {
    expect(issuePaths(parseDetail('badge.awarded', detail))).toEqual(['detail']);
  });

  it('does not throw for a detail whose getter throws', () => {
    const hostile = {
      tenantId: 'acme',
      get data(): never {
        throw new Error('boom');
      },
    };

    expect(issuePaths(parseDetail('badge.awarded', hostile))).toEqual(['detail']);
  });
});

describe('eventCatalog', () => {
  it('lists the four types in order with their seed names', () => {
    const catalog = eventCatalog();

    expect(catalog.map((entry) => entry.type)).toEqual([...EVENT_TYPES]);
    expect(catalog.map((entry) => entry.name)).toEqual([
      'Assignment Completion',
      'Content Completion',
      'Badges Awarded',
      'Workshop Attendance',
    ]);
  });

  it('gives each type a description, an object JSON Schema requiring user, and its example envelope', () => {
    for (const entry of eventCatalog()) {
      expect(entry.description).toMatch(/^Fires when .+\.$/);
      expect(entry.schema.type).toBe('object');
      expect(entry.schema.required).toContain('user');
      expect(entry.schema.description).toEqual(expect.any(String));
      expect(entry.example).toEqual(exampleEnvelope(entry.type));
    }
  });

  it('documents fields in the JSON Schema', () => {
    const [assignment] = eventCatalog();
    const properties = assignment!.schema.properties as Record<string, { description?: string; properties?: Record<string, { description?: string; format?: string; enum?: string[] }> }>;

    expect(properties.user!.properties!.email!.description).toBeTruthy();
    expect(properties.assignment!.properties!.completedAt!.format).toBe('date-time');
    expect(properties.assignment!.properties!.status!.enum).toEqual(['on_time', 'late']);
  });

  it('is built once and cannot be changed by a caller', () => {
    const first = eventCatalog();

    expect(eventCatalog()).toBe(first);
    expect(Object.isFrozen(first[0]!.schema)).toBe(true);
  });
});
