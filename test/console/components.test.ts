// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/preact';
import { h, type ComponentChild } from 'preact';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { ActionsMenu } from '../../console/src/components/menu';
import { DeliveryChart } from '../../console/src/components/delivery-chart';
import { createApi } from '../../console/src/lib/api';
import { AppContext } from '../../console/src/lib/app-context';
import type { Webhook } from '../../console/src/lib/types';
import { EditWebhook } from '../../console/src/pages/edit-webhook';
import { NewWebhook } from '../../console/src/pages/new-webhook';
import { WebhookPage } from '../../console/src/pages/webhook-page';

afterEach(() => cleanup());

type Handler = (method: string, path: string, body: unknown) => { status: number; body: unknown };

/** Renders with an API client whose fetch answers from `handler`, recording every call. */
function renderWithApi(node: ComponentChild, handler: Handler) {
  const calls: { method: string; path: string; body: unknown }[] = [];
  const api = createApi({
    apiKey: 'test-key',
    fetch: async (url, init = {}) => {
      const body = init.body ? JSON.parse(String(init.body)) : undefined;
      const method = init.method ?? 'GET';
      calls.push({ method, path: url, body });
      const answer = handler(method, url, body);
      return new Response(JSON.stringify(answer.body), { status: answer.status, headers: { 'content-type': 'application/json' } });
    },
  });
  render(h(AppContext.Provider, { value: { api, signOut: () => {} } }, node));
  return calls;
}

const URL_A = 'http://127.0.0.1:9/hooks';
const webhook = (overrides: Partial<Webhook> = {}): Webhook => ({
  id: 'wh_01JEXAMPLE0000000000000000',
  name: 'Badge sync',
  url: URL_A,
  eventTypes: ['badge.awarded'],
  status: 'inactive',
  deactivatedReason: null,
  validation: { status: 'unvalidated', url: null, checkedAt: null, statusCode: null, error: null, durationMs: null },
  retryPolicy: { maxAttempts: 8, backoffSeconds: [5, 300, 1800, 7200, 18000, 36000, 36000] },
  createdAt: '2026-12-04T12:00:00.000Z',
  updatedAt: '2026-12-04T12:00:00.000Z',
  ...overrides,
});

const fill = (label: string, value: string) => fireEvent.input(screen.getByLabelText(label), { target: { value } });
const toggle = (name: string) => fireEvent.click(screen.getByRole('switch', { name: new RegExp(name) }));

describe('Add A Webhook', () => {
  it("shows the API's 422 details next to their fields and its message above the buttons", async () => {
    const calls = renderWithApi(h(NewWebhook, {}), () => ({
      status: 422,
      body: {
        error: {
          code: 'invalid_request',
          message: 'The request is not valid: see details.',
          details: [
            { path: 'url', message: 'The address 10.0.0.1 is in a blocked range.' },
            { path: 'retryPolicy', message: 'unknown thing' },
            { path: 'secret', message: 'secret is read-only and cannot be set.' },
          ],
        },
      },
    }));
    fill('Name', 'Badge sync');
    fill('URL', 'http://10.0.0.1/hooks');
    toggle('Badges Awarded');
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));

    const url = screen.getByLabelText('URL');
    await waitFor(() => expect(url.getAttribute('aria-invalid')).toBe('true'));
    const described = (url.getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent ?? '');
    expect(described).toContain('The address 10.0.0.1 is in a blocked range.');
    expect(screen.getByLabelText('Name').getAttribute('aria-invalid')).toBeNull();
    expect(screen.getByText('The request is not valid: see details.')).toBeTruthy();
    expect(screen.getByText('secret: secret is read-only and cannot be set.')).toBeTruthy();
    // The retry fields opened to show their error.
    expect(screen.getByText('unknown thing')).toBeTruthy();
    expect(calls).toEqual([{ method: 'POST', path: '/v1/webhooks', body: { name: 'Badge sync', url: 'http://10.0.0.1/hooks', eventTypes: ['badge.awarded'] } }]);
    await waitFor(() => expect(document.activeElement).toBe(url));
  });

  it('notes the volume when all four event types are chosen', () => {
    renderWithApi(h(NewWebhook, {}), () => ({ status: 500, body: {} }));
    for (const name of ['Assignment Completion', 'Content Completion', 'Badges Awarded']) toggle(name);
    expect(screen.queryByText(/All event types: this webhook gets every/)).toBeNull();
    toggle('Workshop Attendance');
    expect(screen.getByText(/All event types: this webhook gets every/)).toBeTruthy();
  });

  it('after saving, shows the secret and keeps Activate disabled, with the reason, until validation succeeds', async () => {
    let validated = false;
    const calls = renderWithApi(h(NewWebhook, {}), (method, path) => {
      if (method === 'POST' && path === '/v1/webhooks') return { status: 201, body: { ...webhook(), secret: 'whsec_c2VjcmV0' } };
      if (path.endsWith('/validate')) {
        validated = true;
        return { status: 200, body: webhook({ validation: { status: 'succeeded', url: URL_A, checkedAt: '2026-12-04T12:00:01.000Z', statusCode: 204, error: null, durationMs: 7 } }) };
      }
      if (path.endsWith('/activate')) return { status: 200, body: webhook({ status: 'active', validation: { status: 'succeeded', url: URL_A, checkedAt: null, statusCode: 204, error: null } }) };
      return { status: 404, body: { error: { code: 'not_found', message: 'Not found.' } } };
    });
    fill('Name', 'Badge sync');
    fill('URL', URL_A);
    toggle('Badges Awarded');
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));

    await screen.findByText('Webhook saved');
    expect(screen.getByTestId('secret-value').textContent).toBe('whsec_c2VjcmV0');
    const activate = screen.getByRole('button', { name: 'Activate' }) as HTMLButtonElement;
    expect(activate.disabled).toBe(true);
    const hint = document.getElementById(activate.getAttribute('aria-describedby') ?? '');
    expect(hint?.textContent).toMatch(/Activate is available once validation succeeds/);

    fireEvent.click(screen.getByRole('button', { name: 'Validate' }));
    await screen.findByText('Validation succeeded: the URL answered 204 in 7 ms.');
    expect(validated).toBe(true);
    expect((screen.getByRole('button', { name: 'Activate' }) as HTMLButtonElement).disabled).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'Activate' }));
    await screen.findByText('Active: events are being delivered.');
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'POST /v1/webhooks',
      'POST /v1/webhooks/wh_01JEXAMPLE0000000000000000/validate',
      'POST /v1/webhooks/wh_01JEXAMPLE0000000000000000/activate',
    ]);
  });
});

describe('Edit', () => {
  it('explains that a new URL of an active webhook is validated first, and shows the refusal at the URL', async () => {
    const active = webhook({ status: 'active', validation: { status: 'succeeded', url: URL_A, checkedAt: null, statusCode: 200, error: null } });
    const calls = renderWithApi(h(EditWebhook, { id: active.id }), (method) => {
      if (method === 'GET') return { status: 200, body: active };
      return {
        status: 422,
        body: {
          error: {
            code: 'validation_failed',
            message: 'The new URL did not pass validation (status 500); the webhook keeps its old URL and stays active.',
            validation: { status: 'failed', url: 'http://127.0.0.1:9/new', checkedAt: null, statusCode: 500, error: null, durationMs: 4 },
          },
        },
      };
    });
    await screen.findByDisplayValue(URL_A);
    expect(screen.queryByText(/validated before it is saved/)).toBeNull();
    fill('URL', 'http://127.0.0.1:9/new');
    expect(screen.getByText(/validated before it is saved/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));

    await screen.findByText('The new URL was refused. Validation failed: the URL answered 500 in 4 ms.');
    expect(screen.getByText(/keeps its old URL and stays active/)).toBeTruthy();
    expect(screen.getByLabelText('URL').getAttribute('aria-invalid')).toBe('true');
    expect(calls.at(-1)).toEqual({ method: 'PATCH', path: `/v1/webhooks/${active.id}`, body: { url: 'http://127.0.0.1:9/new' } });
  });
});

describe('the More actions menu', () => {
  it('opens on the first item, moves with the arrows, closes on Escape back to its button, and ignores disabled items', async () => {
    const chosen: string[] = [];
    render(
      h(ActionsMenu, {
        items: [
          { label: 'Activate', disabled: true, hint: 'Validate the URL first', onSelect: () => chosen.push('Activate') },
          { label: 'Edit', onSelect: () => chosen.push('Edit') },
          { label: 'Archive', onSelect: () => chosen.push('Archive') },
        ],
      }),
    );
    const button = screen.getByRole('button', { name: 'More actions' });
    expect(button.getAttribute('aria-expanded')).toBe('false');
    fireEvent.keyDown(button, { key: 'ArrowDown' });
    const menu = await screen.findByRole('menu');
    const items = within(menu).getAllByRole('menuitem');
    expect(items.map((i) => i.getAttribute('aria-label'))).toEqual(['Activate', 'Edit', 'Archive']);
    await waitFor(() => expect(document.activeElement).toBe(items[0]));
    expect(document.getElementById(items[0]!.getAttribute('aria-describedby')!)?.textContent).toBe('Validate the URL first');

    fireEvent.click(items[0]!);
    expect(chosen).toEqual([]);
    fireEvent.keyDown(menu, { key: 'ArrowDown' });
    expect(document.activeElement).toBe(items[1]);
    fireEvent.keyDown(menu, { key: 'ArrowUp' });
    fireEvent.keyDown(menu, { key: 'ArrowUp' });
    expect(document.activeElement).toBe(items[2]);
    fireEvent.keyDown(menu, { key: 'Escape' });
    expect(screen.queryByRole('menu')).toBeNull();
    expect(document.activeElement).toBe(button);

    fireEvent.click(button);
    fireEvent.click(within(await screen.findByRole('menu')).getByRole('menuitem', { name: 'Edit' }));
    expect(chosen).toEqual(['Edit']);
    expect(screen.queryByRole('menu')).toBeNull();
  });
});

describe('the deliveries chart', () => {
  it('draws one stacked bar per day with data and says the totals', () => {
    const now = Date.parse('2026-12-10T12:00:00.000Z');
    const record = (attemptedAt: string, outcome: 'succeeded' | 'failed') =>
      ({ id: attemptedAt + outcome, eventId: 'evt_1', eventType: 'badge.awarded', attempt: 1, attemptedAt, url: URL_A, outcome, statusCode: 200, durationMs: 1, error: null, nextAttemptAt: null, responseExcerpt: '' }) as const;
    const { container } = render(
      h(DeliveryChart, {
        now,
        records: [record('2026-12-10T01:00:00.000Z', 'succeeded'), record('2026-12-10T02:00:00.000Z', 'failed'), record('2026-12-08T02:00:00.000Z', 'succeeded')],
      }),
    );
    expect(container.querySelectorAll('rect.bar-succeeded')).toHaveLength(2);
    expect(container.querySelectorAll('rect.bar-failed')).toHaveLength(1);
    expect(container.querySelector('[data-day="2026-12-10"] title')?.textContent).toBe('2026-12-10: 1 succeeded, 1 failed');
    expect(screen.getByRole('img').getAttribute('aria-label')).toMatch(/2 succeeded, 1 failed/);
  });
});

describe('the webhook page', () => {
  const record = (id: string, outcome: 'succeeded' | 'failed') => ({
    id,
    eventId: 'evt_1',
    eventType: 'badge.awarded',
    attempt: 1,
    attemptedAt: '2026-12-04T12:00:00.000Z',
    url: URL_A,
    outcome,
    statusCode: outcome === 'succeeded' ? 200 : null,
    durationMs: 5,
    error: outcome === 'succeeded' ? null : 'timeout',
    nextAttemptAt: null,
    responseExcerpt: '',
    kind: 'delivery',
  });

  it('says why the service deactivated it, pages the logs with nextCursor, and filters through the API', async () => {
    const failing = webhook({ deactivatedReason: 'failing' });
    const calls = renderWithApi(h(WebhookPage, { id: failing.id }), (_method, path) => {
      if (path === `/v1/webhooks/${failing.id}`) return { status: 200, body: failing };
      if (path.includes('cursor=page2')) return { status: 200, body: { items: [record('att_2', 'failed')], nextCursor: null } };
      if (path.includes('/logs')) return { status: 200, body: { items: [record('att_1', 'succeeded')], nextCursor: 'page2' } };
      return { status: 404, body: { error: { code: 'not_found', message: 'Not found.' } } };
    });
    await screen.findByText(/The service deactivated this webhook because its deliveries kept failing/);
    await screen.findByText('1 record loaded, more available.');
    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await screen.findByText('2 records loaded.');
    expect(screen.getByText('Timed out')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();

    fireEvent.change(screen.getByLabelText('Outcome'), { target: { value: 'failed' } });
    await waitFor(() => expect(calls.some((c) => c.path === `/v1/webhooks/${failing.id}/logs?outcome=failed`)).toBe(true));
  });

  it('prepares the CSV with the current filters, polling the export, then offers the presigned link', async () => {
    let polls = 0;
    const calls = renderWithApi(h(WebhookPage, { id: webhook().id }), (method, path) => {
      if (path === `/v1/webhooks/${webhook().id}`) return { status: 200, body: webhook() };
      if (path.includes('/logs?') || path.endsWith('/logs')) return { status: 200, body: { items: [], nextCursor: null } };
      if (method === 'POST' && path.endsWith('/logs/export')) return { status: 202, body: { id: 'exp_1', status: 'pending' } };
      if (path === '/v1/exports/exp_1') {
        polls++;
        return { status: 200, body: polls < 2 ? { id: 'exp_1', webhookId: webhook().id, status: 'pending', rowCount: null, url: null, expiresAt: null } : { id: 'exp_1', webhookId: webhook().id, status: 'ready', rowCount: 12, url: 'http://127.0.0.1:4566/bucket/exp_1.csv?X-Amz-Signature=abc', expiresAt: '2026-12-04T12:15:00.000Z' } };
      }
      return { status: 404, body: { error: { code: 'not_found', message: 'Not found.' } } };
    });
    // The download is a click on a link to the presigned URL: caught here, so the test
    // environment never navigates anywhere.
    const downloads: string[] = [];
    const catchLinks = (event: Event) => {
      const link = (event.target as Element).closest?.('a');
      if (link) {
        event.preventDefault();
        downloads.push(link.getAttribute('href') ?? '');
      }
    };
    document.addEventListener('click', catchLinks, true);
    onTestFinished(() => document.removeEventListener('click', catchLinks, true));
    await screen.findByText(/No records yet/);
    fireEvent.change(screen.getByLabelText('Outcome'), { target: { value: 'failed' } });
    fireEvent.click(screen.getByRole('button', { name: 'Download CSV' }));
    await screen.findByText(/Preparing the CSV/);
    const again = await screen.findByRole('link', { name: 'Download again' }, { timeout: 5000 });
    expect(again.getAttribute('href')).toBe('http://127.0.0.1:4566/bucket/exp_1.csv?X-Amz-Signature=abc');
    expect(screen.getByText(/CSV ready \(12 rows\)/)).toBeTruthy();
    expect(calls.find((c) => c.path.endsWith('/logs/export'))?.body).toEqual({ outcome: 'failed' });
    expect(polls).toBe(2);
    expect(downloads).toEqual(['http://127.0.0.1:4566/bucket/exp_1.csv?X-Amz-Signature=abc']);
  });

  it("shows the API's message when the export fails, never a blank page", async () => {
    renderWithApi(h(WebhookPage, { id: webhook().id }), (method, path) => {
      if (path === `/v1/webhooks/${webhook().id}`) return { status: 200, body: webhook() };
      if (path.includes('/logs') && method === 'GET') return { status: 200, body: { items: [], nextCursor: null } };
      return { status: 500, body: { error: { code: 'internal', message: 'Something went wrong on our side. Try again; if it persists, contact support.' } } };
    });
    await screen.findByText(/No records yet/);
    fireEvent.click(screen.getByRole('button', { name: 'Download CSV' }));
    await screen.findByText('The CSV could not be prepared.');
    expect(screen.getByText(/Something went wrong on our side/)).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Try again' })).toBeTruthy();
  });
});
