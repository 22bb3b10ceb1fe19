import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { buildDashboard } from '../../src/web/build.js';
import { startEngine, type TestEngine } from '../support/engine.js';
import { api } from '../support/client.js';
import { chromiumPath } from '../support/chromium.js';

/**
 * The dashboard forced onto each transport with `/?transport=`: the browser's own fetch streams
 * and EventSource, against the engine's HTTP-streaming and SSE endpoints and /emulation. Live
 * prices, the transport actually used, and a server-side cut followed by a recovery.
 */

const CHROMIUM = chromiumPath();
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env['CI'] === 'true') throw new Error(`${CHROMIUM} is missing: npm test's pretest step installs Debian's chromium package when it may`);
if (!haveChromium) console.warn(`skipping the browser transport test: no chromium at ${CHROMIUM}`);

const OUTPUT = fileURLToPath(new URL('./output/transports/', import.meta.url));

describe.skipIf(!haveChromium)('dashboard over each transport', () => {
  let engine: TestEngine;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    await mkdir(OUTPUT, { recursive: true });
    const webDir = join(OUTPUT, 'web');
    await buildDashboard({ sourceDir: fileURLToPath(new URL('../../src/web/app/', import.meta.url)), outDir: webDir });
    engine = await startEngine({ feed: 'simulated', symbols: ['AAPL', 'MSFT'], simTradesPerSecond: 5, apiKey: 'test-key', webDir, sentiment: false });
    profile = await mkdtemp(join(tmpdir(), 'supernova-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (msg) => {
      // The browser logs a stream the server ended (the cut below) as a failed request.
      if (msg.type() === 'error' && !/ERR_INCOMPLETE_CHUNKED_ENCODING|net::ERR_/.test(msg.text())) consoleErrors.push(msg.text());
    });
    page.on('pageerror', (err) => consoleErrors.push(`page error: ${err.message}`));
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await engine?.stop();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it.each(['http_stream', 'sse', 'websocket'])('?transport=%s: live prices, that transport, and recovery after a cut', async (transport) => {
    await page.goto(`${engine.http}/?transport=${transport}&reconnectDelayMs=1000`);
    await page.waitForFunction(() => {
      const cells = [...document.querySelectorAll('#watchlist td.last')];
      return cells.length === 2 && cells.every((td) => /\d/.test(td.textContent ?? ''));
    }, undefined, { timeout: 10_000 });
    expect(await page.evaluate(() => window.supernovaDashboard?.transport())).toBe(transport);
    const before = await page.textContent('#watchlist tr[data-symbol="AAPL"] td.last');
    await page.waitForFunction((b) => document.querySelector('#watchlist tr[data-symbol="AAPL"] td.last')?.textContent !== b, before, { timeout: 10_000 });
    expect(await page.getAttribute('#connection', 'data-state')).toBe('connected');
    if (transport !== 'websocket') expect(engine.engine.streamSessions).toBe(1);

    await page.evaluate(() => {
      const el = document.querySelector('#connection') as HTMLElement;
      const seen: string[] = [];
      (window as unknown as { connectionStates: string[] }).connectionStates = seen;
      new MutationObserver(() => seen.push(el.dataset['state'] ?? '')).observe(el, { attributes: true, attributeFilter: ['data-state'] });
    });
    expect((await api(engine.http, 'disconnect', { user: '', disconnect: { code: 3000, reason: 'e2e cut' } })).status).toBe(200);
    await page.waitForFunction(() => {
      const seen = (window as unknown as { connectionStates: string[] }).connectionStates;
      return seen.includes('reconnecting') && seen[seen.length - 1] === 'recovered';
    }, undefined, { timeout: 15_000 });
    expect(await page.evaluate(() => window.supernovaDashboard?.transport())).toBe(transport);
    expect(consoleErrors).toEqual([]);
  }, 40_000);
});
