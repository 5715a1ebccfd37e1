import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../infra/local/stack';
import { documentClient } from '../../shared/aws/clients';
import { TenantRepository } from '../../shared/tenants/repository';
import { apiClient, type ApiClient } from '../fixtures/api';
import { startReceiver, type Receiver } from '../fixtures/receiver';

/** GET /v1/webhooks: cursor pagination, status filter, newest first, bad limits and cursors. */
describe('listing webhooks on the local stack', () => {
  let stack: LocalStack;
  let api: ApiClient;
  let other: ApiClient;
  let receiver: Receiver;
  /** Ids in creation order. */
  const created: string[] = [];
  const archived: string[] = [];
  const active: string[] = [];

  async function pages(client: ApiClient, query: string, start: string | null = null): Promise<{ ids: string[]; sizes: number[]; cursors: string[] }> {
    const ids: string[] = [];
    const sizes: number[] = [];
    const cursors: string[] = [];
    let cursor: string | null = start;
    do {
      const res = await client.get(`/v1/webhooks?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status, res.text).toBe(200);
      ids.push(...res.body.items.map((w: { id: string }) => w.id));
      sizes.push(res.body.items.length);
      cursor = res.body.nextCursor;
      if (cursor) cursors.push(cursor);
      expect(sizes.length).toBeLessThan(20);
    } while (cursor);
    return { ids, sizes, cursors };
  }

  beforeAll(async () => {
    stack = await startLocalStack({ port: 0, awsPort: 0, apiKey: 'list-api-key-00001', allowLoopback: true });
    receiver = await startReceiver();
    const tenants = new TenantRepository(documentClient(), stack.provisioned.names.table);
    api = apiClient(stack.apiUrl, (await tenants.createKey('pager')).key);
    other = apiClient(stack.apiUrl, (await tenants.createKey('other')).key);
    for (let i = 0; i < 25; i++) {
      // No request is made to an inactive webhook's URL, so most can point anywhere public.
      const url = i < 2 ? receiver.url : `https://hooks.example.com/${i}`;
      const res = await api.post('/v1/webhooks', { name: `Webhook ${i}`, url, eventTypes: ['badge.awarded'] });
      expect(res.status).toBe(201);
      created.push(res.body.id);
    }
    for (const id of created.slice(0, 2)) {
      await api.post(`/v1/webhooks/${id}/validate`);
      expect((await api.post(`/v1/webhooks/${id}/activate`)).status).toBe(200);
      active.push(id);
    }
    for (const id of [created[2]!, created[10]!, created[24]!]) {
      expect((await api.post(`/v1/webhooks/${id}/archive`)).status).toBe(200);
      archived.push(id);
    }
    await other.post('/v1/webhooks', { name: 'Not yours', url: 'https://hooks.example.com/x', eventTypes: ['badge.awarded'] });
  });
  afterAll(async () => {
    await receiver?.close();
    await stack?.stop();
  });

  const newestFirst = (ids: string[]) => [...ids].reverse();

  it('pages through every webhook, newest first, with limit 7: no repeats, no gaps', async () => {
    const { ids, sizes } = await pages(api, 'status=inactive&limit=7');
    const inactive = created.filter((id) => !archived.includes(id) && !active.includes(id));
    expect(inactive).toHaveLength(20);
    expect(sizes).toEqual([7, 7, 6]);
    expect(ids).toEqual(newestFirst(inactive));

    const all = await pages(api, 'limit=7');
    const notArchived = created.filter((id) => !archived.includes(id));
    expect(all.sizes).toEqual([7, 7, 7, 1]);
    expect(all.ids).toEqual(newestFirst(notArchived));
    expect(new Set(all.ids).size).toBe(all.ids.length);
  });

  it('pages through all 25 (archived included when asked for each status)', async () => {
    const union = [
      ...(await pages(api, 'status=active&limit=7')).ids,
      ...(await pages(api, 'status=inactive&limit=7')).ids,
      ...(await pages(api, 'status=archived&limit=7')).ids,
    ];
    expect(union.sort()).toEqual([...created].sort());
  });

  it('filters by status; the default is all but archived', async () => {
    expect((await pages(api, 'status=archived')).ids).toEqual(newestFirst(archived));
    expect((await pages(api, 'status=active')).ids).toEqual(newestFirst(active));
    const def = await api.get('/v1/webhooks');
    expect(def.body.items).toHaveLength(22);
    expect(def.body.nextCursor).toBeNull();
    expect(def.body.items.every((w: { status: string }) => w.status !== 'archived')).toBe(true);
    const res = await api.get('/v1/webhooks?status=active');
    expect(res.body.items.map((w: { status: string }) => w.status)).toEqual(['active', 'active']);
  });

  it('keeps its place when a webhook is created while paging', async () => {
    const first = await api.get('/v1/webhooks?status=inactive&limit=7');
    const added = await api.post('/v1/webhooks', { name: 'Late', url: 'https://hooks.example.com/late', eventTypes: ['badge.awarded'] });
    try {
      const rest = await pages(api, 'status=inactive&limit=7', first.body.nextCursor);
      const ids = [...first.body.items.map((w: { id: string }) => w.id), ...rest.ids];
      expect(ids).not.toContain(added.body.id);
      expect(ids).toHaveLength(20);
      expect(new Set(ids).size).toBe(20);
      // The new one is at the head of a fresh listing.
      expect((await api.get('/v1/webhooks?limit=1')).body.items[0].id).toBe(added.body.id);
    } finally {
      await api.post(`/v1/webhooks/${added.body.id}/archive`);
      archived.push(added.body.id);
      created.push(added.body.id);
    }
  });

  it('pages of limit 1 and 100 work; the last full page may end with an empty one', async () => {
    expect((await api.get('/v1/webhooks?limit=100')).body.items).toHaveLength(22);
    const one = await api.get('/v1/webhooks?limit=1');
    expect(one.body.items).toHaveLength(1);
    expect(one.body.nextCursor).toEqual(expect.any(String));
  });

  it('shows another tenant none of these', async () => {
    const res = await other.get('/v1/webhooks?limit=100');
    expect(res.body.items.map((w: { name: string }) => w.name)).toEqual(['Not yours']);
    expect((await other.get('/v1/webhooks?status=archived')).body.items).toEqual([]);
  });

  it.each(['0', '101', '-1', '1.5', 'abc', '', '1e9', '7,8'])('refuses limit=%j with 422 naming limit', async (limit) => {
    const res = await api.get(`/v1/webhooks?limit=${encodeURIComponent(limit)}`);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.details).toEqual([{ path: 'limit', message: expect.any(String) }]);
  });

  it('refuses an unknown status with 422 naming status', async () => {
    const res = await api.get('/v1/webhooks?status=deleted');
    expect(res.status).toBe(422);
    expect(res.body.error.details).toEqual([{ path: 'status', message: expect.stringMatching(/active/) }]);
  });

  it('refuses bad cursors with 422 naming cursor: garbage, forged, or from another tenant', async () => {
    const { cursors } = await pages(api, 'limit=7');
    const forged = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');
    const othersCursor = (await other.get('/v1/webhooks?limit=1')).body.nextCursor ?? forged({ pk: 'TENANT#other', sk: 'WH#wh_01JEXAMPLE0000000000000000' });
    const bad = [
      'abc',
      '!!!',
      forged([1, 2]),
      forged({ pk: 'TENANT#other', sk: 'WH#wh_01JEXAMPLE0000000000000000' }),
      forged({ pk: 'TENANT#pager', sk: 'LOG#x' }),
      othersCursor,
      'x'.repeat(3000),
    ];
    for (const cursor of bad) {
      const res = await api.get(`/v1/webhooks?limit=7&cursor=${encodeURIComponent(cursor)}`);
      expect(res.status, cursor.slice(0, 40)).toBe(422);
      expect(res.body.error.details).toEqual([{ path: 'cursor', message: expect.any(String) }]);
    }
    // pager's own cursor is refused by the other tenant.
    const res = await other.get(`/v1/webhooks?cursor=${encodeURIComponent(cursors[0]!)}`);
    expect(res.status).toBe(422);
  });
});
