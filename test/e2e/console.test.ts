/**
 * The admin console in a real browser (Chromium through playwright-core) against the local
 * stack, which serves the built console through its static fallback: sign in, add a
 * webhook, validate, activate, publish with EventBridge, read the logs, download the CSV,
 * edit with a refused URL, deactivate, archive, restore. Any browser console error fails it.
 * Screenshots of the main screens go to docs/screenshots/ (1280×800).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fallback } from '../../infra/local/console-static';
import { startLocalStack, type LocalStack } from '../../infra/local/stack';
import { exampleData } from '../../shared/events/examples';
import { apiClient, publish, type ApiClient } from '../fixtures/api';
import { startReceiver, type Receiver } from '../fixtures/receiver';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
/** `UPDATE_SCREENSHOTS=1` refreshes docs/screenshots; otherwise they go to a temp dir (no churn). */
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? join(repoRoot, 'docs', 'screenshots') : mkdtempSync(join(tmpdir(), 'console-shots-'));
const CSV_HEADER = 'attempted_at,event_id,event_type,attempt,outcome,status_code,duration_ms,url,error,next_attempt_at,response_excerpt';
const hasChromium = existsSync(CHROMIUM);

if (!hasChromium) {
  console.warn(`console e2e skipped: ${CHROMIUM} is not installed (apt-get install chromium; .ci/run installs it).`);
}

/** Newest modification time under a path (files only). */
function newest(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/** Builds the console when console/dist is missing or older than its sources. */
function ensureBuilt(): void {
  const index = join(repoRoot, 'console', 'dist', 'index.html');
  const sources = Math.max(newest(join(repoRoot, 'console', 'src')), newest(join(repoRoot, 'console', 'index.html')), newest(join(repoRoot, 'console', 'vite.config.ts')));
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  const build = spawnSync('npx', ['vite', 'build', '--config', 'console/vite.config.ts'], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
  if (build.status !== 0) throw new Error(`console build failed:\n${build.stdout}\n${build.stderr}`);
}

const isLoopback = (url: string) => {
  const { protocol, hostname } = new URL(url);
  return protocol === 'data:' || protocol === 'about:' || hostname === '127.0.0.1' || hostname === '[::1]' || hostname === 'localhost';
};

describe.skipIf(!hasChromium)('admin console in a browser', () => {
  let stack: LocalStack;
  let api: ApiClient;
  let receiver: Receiver;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const browserErrors: string[] = [];
  /** API answers the flow provokes on purpose; Chromium logs each as a console error. */
  const apiErrorStatuses: number[] = [];

  beforeAll(async () => {
    ensureBuilt();
    // Test sends fail (503) and /refuse always fails, so the logs show both outcomes and
    // an edit to /refuse is refused by validation.
    receiver = await startReceiver((req) =>
      req.path === '/refuse' ? { status: 500, body: 'no' } : req.body.includes('"test":true') ? { status: 503, body: 'busy' } : { status: 200, body: 'ok' },
    );
    stack = await startLocalStack({
      port: 0,
      awsPort: 0,
      apiKey: 'console-e2e-key-0123',
      allowLoopback: true,
      fallback,
      config: { webhookCacheTtlMs: '0', attemptTimeoutMs: '5000' },
    });
    api = apiClient(stack.apiUrl, stack.apiKey);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-proxy-server',
        // Nothing but loopback resolves: the browser cannot reach any other host.
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      ],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    await context.route(
      (url) => !isLoopback(url.href),
      (route) => {
        browserErrors.push(`blocked request to ${route.request().url()}`);
        return route.abort();
      },
    );
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      const failed = /^Failed to load resource: the server responded with a status of (\d{3})/.exec(message.text());
      if (failed && new URL(message.location().url).pathname.startsWith('/v1/')) apiErrorStatuses.push(Number(failed[1]));
      else browserErrors.push(`console: ${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error) => browserErrors.push(`page error: ${error.message}`));
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await receiver?.close();
    await stack?.stop();
  });

  const shot = async (name: string) => {
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
  };
  const row = (name: string) => page.getByRole('row').filter({ has: page.getByRole('link', { name, exact: true }) });
  const menuAction = async (name: string, action: string) => {
    await row(name).getByRole('button', { name: 'More actions' }).click();
    await page.getByRole('menu').getByRole('menuitem', { name: action, exact: true }).click();
  };

  it('runs the admin flow from sign-in to restore without a console error', async () => {
    // A second webhook so that the list shows more than one row and state.
    const other = await api.post('/v1/webhooks', { name: 'Content sync', url: `${receiver.url}/content`, eventTypes: ['content.completed', 'assignment.completed'] });
    expect(other.status).toBe(201);

    // ---- sign in --------------------------------------------------------------------
    await page.goto(`${stack.apiUrl}/`);
    await expect.poll(() => page.getByRole('heading', { name: 'Sign in to Webhooks' }).isVisible()).toBe(true);
    await page.getByLabel('API key').fill('wrong-key-0000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That API key was not accepted.').waitFor();
    await page.getByLabel('API key').fill(stack.apiKey);
    await shot('sign-in');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Webhooks', exact: true }).waitFor();
    expect(await page.evaluate('Object.keys(sessionStorage)')).toEqual(['lms-webhooks.api-key']);
    expect(await page.evaluate('document.cookie')).toBe('');
    await expect.poll(() => row('Content sync').getByText('Not validated').isVisible()).toBe(true);

    // ---- add a webhook --------------------------------------------------------------
    await page.getByRole('link', { name: 'Add A Webhook' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Add A Webhook', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    // The API's 422 details land next to their fields.
    await page.getByText('A name is required.').waitFor();
    await page.getByLabel('Name').fill('Badge sync');
    await page.getByLabel('URL').fill(`${receiver.url}/hooks`);
    await page.getByRole('switch', { name: /Badges Awarded/ }).check();
    await page.getByRole('switch', { name: /Assignment Completion/ }).check();
    await page.getByText('Retry settings (optional)').click();
    await page.getByLabel('Attempts').fill('2');
    expect(await page.getByLabel('Wait before each retry (seconds)').inputValue()).toBe('5');
    await page.getByLabel('Wait before each retry (seconds)').fill('1');
    await shot('add-webhook');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'Webhook saved' }).waitFor();
    expect(await page.getByTestId('secret-value').textContent()).toMatch(/^whsec_/);

    // ---- validate, then activate ----------------------------------------------------
    const activate = page.getByRole('button', { name: 'Activate', exact: true });
    expect(await activate.isDisabled()).toBe(true);
    await page.getByText(/Activate is available once validation succeeds/).waitFor();
    await page.getByRole('button', { name: 'Validate', exact: true }).click();
    await page.getByText(/Validation succeeded: the URL answered 200 in \d+ ms\./).waitFor();
    await activate.click();
    await page.getByText('Active: events are being delivered.').waitFor();
    const list = (await api.get('/v1/webhooks')).body;
    const badge = list.items.find((w: { name: string }) => w.name === 'Badge sync');
    expect(badge).toMatchObject({ status: 'active', retryPolicy: { maxAttempts: 2, backoffSeconds: [1] }, eventTypes: ['assignment.completed', 'badge.awarded'] });

    // ---- publish, then read the logs --------------------------------------------------
    await publish(stack.endpoint, stack.provisioned.names.eventBus, [
      { type: 'badge.awarded', detail: { tenantId: 'local', id: 'award-console-1', data: exampleData('badge.awarded') } },
    ]);
    await page.getByRole('link', { name: 'Back to Webhooks' }).click();
    await expect.poll(() => row('Badge sync').getByText('Active', { exact: true }).isVisible()).toBe(true);
    expect(await row('Badge sync').getByText('Validated', { exact: true }).isVisible()).toBe(true);
    await shot('webhooks');

    await page.getByRole('link', { name: 'Badge sync', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Badge sync', exact: true }).waitFor();
    await page.getByLabel('Event type to send').selectOption('badge.awarded');
    await page.getByRole('button', { name: 'Send test event' }).click();
    await page.getByText(/Not delivered: the URL answered 503 in \d+ ms\./).waitFor();
    const logRows = page.locator('table.table-logs tbody tr');
    await expect
      .poll(
        async () => {
          await page.getByRole('button', { name: 'Refresh', exact: true }).click();
          await page.getByRole('button', { name: 'Refresh', exact: true }).waitFor();
          return logRows.filter({ hasText: 'Badges Awarded' }).filter({ hasText: 'Succeeded' }).count();
        },
        { timeout: 20_000, interval: 300 },
      )
      .toBe(1);
    // The validation request, the failed test send and the delivery.
    expect(await logRows.count()).toBe(3);
    const delivered = logRows.filter({ hasText: 'Badges Awarded' }).filter({ hasText: 'Succeeded' });
    expect(await delivered.locator('td').nth(4).textContent()).toBe('200');
    expect(await page.getByRole('img', { name: /1 failed/ }).count()).toBe(1);
    await page.getByRole('button', { name: 'Refresh', exact: true }).and(page.locator(':enabled')).waitFor();
    await shot('logs');

    // The secret: revealed as created, then rotated to a new one after a confirmation.
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    const secret = (await api.get(`/v1/webhooks/${badge.id}/secret`)).body.secret as string;
    await expect.poll(() => page.getByTestId('secret-value').textContent()).toBe(secret);
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const rotate = page.getByRole('dialog', { name: 'Rotate the signing secret?' });
    await rotate.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByText(/The old secret still signs deliveries/).waitFor();
    const rotated = (await api.get(`/v1/webhooks/${badge.id}/secret`)).body.secret as string;
    expect(rotated).not.toBe(secret);
    expect(await page.getByTestId('secret-value').textContent()).toBe(rotated);

    // Filters go to the API: only the failed test send is left.
    await page.getByLabel('Outcome').selectOption('failed');
    await expect.poll(() => logRows.count()).toBe(1);
    expect(await logRows.first().textContent()).toContain('503');
    await page.getByLabel('Outcome').selectOption('');
    await expect.poll(() => logRows.count()).toBe(3);

    // ---- CSV --------------------------------------------------------------------------
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download CSV' }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toMatch(/^Badge-sync-logs-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = readFileSync(await download.path(), 'utf8');
    const lines = csv.trim().split(/\r?\n/);
    expect(lines[0]).toBe(CSV_HEADER);
    expect(lines).toHaveLength(4);
    expect(csv).toContain('badge.awarded');
    await page.getByText(/CSV ready \(3 rows\)/).waitFor();

    // ---- clear logs, with a confirmation ---------------------------------------------
    await page.getByRole('button', { name: 'Clear logs' }).click();
    const dialog = page.getByRole('dialog', { name: 'Clear logs?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await logRows.count()).toBe(3);
    await page.getByRole('button', { name: 'Clear logs' }).click();
    await dialog.getByRole('button', { name: 'Clear logs' }).click();
    await page.getByText('Logs cleared.').waitFor();
    await page.getByText(/No records yet/).waitFor();

    // ---- edit: a new URL for an active webhook is validated first ------------------------
    await page.getByRole('link', { name: 'Edit', exact: true }).click();
    await page.getByLabel('URL').fill(`${receiver.url}/refuse`);
    await page.getByText(/validated before it is saved/).waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText(/The new URL was refused\. Validation failed: the URL answered 500/).waitFor();
    expect((await api.get(`/v1/webhooks/${badge.id}`)).body).toMatchObject({ url: `${receiver.url}/hooks`, status: 'active' });
    await page.getByRole('button', { name: 'Cancel' }).click();

    // ---- keyboard: the row menu opens on Enter, on its first item, and Escape closes it --
    await page.getByRole('heading', { level: 1, name: 'Webhooks', exact: true }).waitFor();
    await row('Badge sync').getByRole('button', { name: 'More actions' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate("document.activeElement?.getAttribute('aria-label')")).toBe('Deactivate');
    await page.keyboard.press('Escape');
    expect(await page.getByRole('menu').count()).toBe(0);

    // ---- deactivate, archive, restore ------------------------------------------------------
    await menuAction('Badge sync', 'Deactivate');
    await expect.poll(() => row('Badge sync').getByText('Inactive', { exact: true }).isVisible()).toBe(true);
    await menuAction('Badge sync', 'Archive');
    await page.getByText(/“Badge sync” was archived/).waitFor();
    expect(await row('Badge sync').count()).toBe(0);
    await page.getByRole('link', { name: 'Archived', exact: true }).click();
    await row('Badge sync').getByRole('button', { name: 'Restore' }).click();
    await page.getByText(/“Badge sync” was restored/).waitFor();
    await page.getByRole('link', { name: 'Webhooks', exact: true }).first().click();
    await expect.poll(() => row('Badge sync').getByText('Inactive', { exact: true }).isVisible()).toBe(true);

    // ---- a narrow window: nothing scrolls sideways ------------------------------------------
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await shot('webhooks-narrow');
    await page.getByRole('link', { name: 'Badge sync', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Badge sync', exact: true }).waitFor();
    // Since the clear: the refused validation of the new URL, which is logged too.
    await page.getByText('1 record loaded.').waitFor();
    expect(await logRows.first().textContent()).toMatch(/Validation request.*Failed.*500/);
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await shot('logs-narrow');
    await page.setViewportSize({ width: 1280, height: 800 });

    // ---- sign out ----------------------------------------------------------------------------
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate('Object.keys(sessionStorage)')).toEqual([]);

    expect(browserErrors).toEqual([]);
    // The wrong key (401), the empty form (422) and the refused URL (422); nothing else.
    expect(apiErrorStatuses).toEqual([401, 422, 422]);
  }, 60_000);
});
