import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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
import { metric } from '../support/delta.js';
import { price, signed } from '../../src/web/app/format.js';

/**
 * The dashboard forced onto each transport with `/?transport=`: the browser's own fetch streams
 * and EventSource, against the engine's HTTP-streaming and SSE endpoints and /emulation. Live
 * prices equal to the engine's snapshots, the transport actually used, and a server-side cut
 * followed by a recovery; then each transport again with `&delta=1` (fossil deltas on `market:`
 * and `bars:`, applied by the page's SDK), whose quotes and candles must still be the engine's.
 */

const CHROMIUM = chromiumPath();
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env['CI'] === 'true') throw new Error(`${CHROMIUM} is missing: npm test's pretest step installs Debian's chromium package when it may`);
if (!haveChromium) console.warn(`skipping the browser transport test: no chromium at ${CHROMIUM}`);

const OUTPUT = fileURLToPath(new URL('./output/transports/', import.meta.url));
const SYMBOLS = ['AAPL', 'MSFT'];
const DELTAS = 'supernova_delta_publications_total{kind="delta"}';

interface Snapshot { symbol: string; last: number; change: number; changePct: number }
interface Bar { start: number; open: number; high: number; low: number; close: number; volume: number; trades: number }

const cases = (['http_stream', 'sse', 'websocket'] as const).flatMap((transport) => [{ transport, delta: false }, { transport, delta: true }]);

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
    engine = await startEngine({ feed: 'simulated', symbols: SYMBOLS, simTradesPerSecond: 5, apiKey: 'test-key', webDir, sentiment: false });
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

  /** The watchlist's cells as the page shows them, by symbol. */
  const shownQuotes = (): Promise<Record<string, { last: string; change: string }>> => page.evaluate(() => Object.fromEntries(
    [...document.querySelectorAll<HTMLElement>('#watchlist tr[data-symbol]')].map((tr) => [tr.dataset['symbol'] ?? '', {
      last: tr.querySelector('td.last')?.textContent ?? '', change: tr.querySelector('td.change')?.textContent ?? '',
    }]),
  ));

  /**
   * The page's quote cells read what the engine's snapshots say: `market:` is conflated to one
   * publication per 100 ms, so they may trail the snapshot by a trade; read until both agree.
   */
  const expectQuotesMatchEngine = async (): Promise<void> => {
    await vi.waitFor(async () => {
      const { snapshots } = (await (await fetch(`${engine.http}/api/v1/market`)).json()) as { snapshots: Snapshot[] };
      const truth = Object.fromEntries(snapshots.filter((q) => SYMBOLS.includes(q.symbol))
        .map((q) => [q.symbol, { last: price(q.last), change: `${signed(q.change)} (${signed(q.changePct)}%)` }]));
      expect(await shownQuotes()).toEqual(truth);
    }, { timeout: 10_000, interval: 50 });
  };

  /** Bars that closed after `since` reached the chart live (over `bars:`), equal to the server's. */
  const expectLiveCandlesMatchEngine = async (since: number): Promise<void> => {
    await vi.waitFor(async () => {
      const res = await fetch(`${engine.http}/api/v1/market/AAPL/bars?interval=1s&limit=100`);
      const truth = ((await res.json()) as { items: Bar[] }).items.filter((b) => b.start >= since);
      expect(truth.length).toBeGreaterThanOrEqual(2);
      const shown = new Map((await page.evaluate(() => [...(window.supernovaDashboard?.candles() ?? [])])).filter((c) => c.final).map((c) => [c.start, c]));
      for (const { start, open, high, low, close, volume, trades } of truth) {
        const c = shown.get(start);
        expect(c && { start, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume, trades: c.trades }, `bar at ${new Date(start).toISOString()}`)
          .toEqual({ start, open, high, low, close, volume, trades });
      }
    }, { timeout: 15_000, interval: 250 });
  };

  const pageDeltas = (): Promise<number> => page.evaluate(() => window.supernovaDashboard?.deltas() ?? 0);

  it.each(cases)('?transport=$transport (delta: $delta): live prices equal to the engine\'s, that transport, and recovery after a cut', async ({ transport, delta }) => {
    // The previous case's page must be gone, or its delta subscriptions would count here.
    await page.goto('about:blank');
    await vi.waitFor(() => expect(engine.engine.connections + engine.engine.streamSessions).toBe(0), { timeout: 5_000, interval: 50 });
    const deltasBefore = await metric(engine.http, DELTAS);
    const openedAt = Date.now();
    await page.goto(`${engine.http}/?transport=${transport}&reconnectDelayMs=1000${delta ? '&delta=1' : ''}`);
    await page.waitForFunction(() => {
      const cells = [...document.querySelectorAll('#watchlist td.last')];
      return cells.length === 2 && cells.every((td) => /\d/.test(td.textContent ?? ''));
    }, undefined, { timeout: 10_000 });
    expect(await page.evaluate(() => window.supernovaDashboard?.transport())).toBe(transport);
    const before = await page.textContent('#watchlist tr[data-symbol="AAPL"] td.last');
    await page.waitForFunction((b) => document.querySelector('#watchlist tr[data-symbol="AAPL"] td.last')?.textContent !== b, before, { timeout: 10_000 });
    expect(await page.getAttribute('#connection', 'data-state')).toBe('connected');
    if (transport !== 'websocket') expect(engine.engine.streamSessions).toBe(1);
    await expectQuotesMatchEngine();
    await expectLiveCandlesMatchEngine(openedAt + 1000);
    // With delta the page's SDK decoded deltas (and the engine sent them); without, none at all.
    const deltasSeen = await pageDeltas();
    if (delta) {
      expect(deltasSeen).toBeGreaterThan(10);
      expect((await metric(engine.http, DELTAS)) - deltasBefore).toBeGreaterThan(10);
    } else {
      expect(deltasSeen).toBe(0);
      expect(await metric(engine.http, DELTAS)).toBe(deltasBefore);
    }

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
    const recoveredAt = Date.now();
    expect(await page.evaluate(() => window.supernovaDashboard?.transport())).toBe(transport);
    // After the resubscribe each chain restarts whole, then deltas again; the data stays the engine's.
    await expectQuotesMatchEngine();
    await expectLiveCandlesMatchEngine(recoveredAt + 1000);
    if (delta) expect(await pageDeltas()).toBeGreaterThan(deltasSeen);
    else expect(await pageDeltas()).toBe(0);
    expect(consoleErrors).toEqual([]);
  }, 60_000);
});
