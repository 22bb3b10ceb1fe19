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

/**
 * The dashboard in a real browser (Debian's chromium, driven by playwright-core) against an
 * engine on the simulated feed: prices, sparklines and candles filled from the bars API, live
 * updates, a server-side disconnect held for a few seconds and the recovery that leaves no gap
 * in the chart, checked bar by bar against the server's bars, and the live scores of ingested news
 * in the sentiment panel. Any console error fails the test.
 */

const CHROMIUM = chromiumPath();
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env['CI'] === 'true') throw new Error(`${CHROMIUM} is missing: npm test's pretest step installs Debian's chromium package when it may (root, or sudo without a password); see its output`);
if (!haveChromium) console.warn(`skipping the browser test: no chromium at ${CHROMIUM} (apt-get install -y chromium)`);

const OUTPUT = fileURLToPath(new URL('./output/', import.meta.url));
const SYMBOL = 'AAPL';
/** The page holds every reconnect attempt this long (its `reconnectDelayMs` parameter). */
const OUTAGE_MS = 3000;
/** Closed 1s bars the engine has before the page opens, so history visibly comes from REST. */
const BARS_BEFORE_LOAD = 5;

interface RestBar { start: number; open: number; high: number; low: number; close: number; volume: number; trades: number }
type PageCandle = RestBar & { final: boolean };

describe.skipIf(!haveChromium)('dashboard in chromium', () => {
  let engine: TestEngine;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const consoleErrors: string[] = [];

  const restBars = async (interval: string): Promise<RestBar[]> => {
    const res = await fetch(`${engine.http}/api/v1/market/${SYMBOL}/bars?interval=${interval}&limit=1000`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: RestBar[] }).items;
  };
  const pageCandles = async (): Promise<PageCandle[]> => page.evaluate(() => [...(window.supernovaDashboard?.candles() ?? [])]);

  /**
   * Every closed bar of the server from the page's first candle on is on the page, closed, with
   * the same OHLCV and trade count; waits for the finals still in flight to the page.
   */
  const expectChartMatchesServer = async (interval: string): Promise<RestBar[]> => {
    const first = (await pageCandles())[0]?.start ?? Number.POSITIVE_INFINITY;
    const truth = (await restBars(interval)).filter((b) => b.start >= first);
    await vi.waitFor(async () => {
      const finals = new Set((await pageCandles()).filter((c) => c.final).map((c) => c.start));
      const missing = truth.filter((b) => !finals.has(b.start)).map((b) => new Date(b.start).toISOString());
      expect(missing, `closed ${interval} bars missing on the page`).toEqual([]);
    }, { timeout: 10_000, interval: 250 });
    const shown = new Map((await pageCandles()).map((c) => [c.start, c]));
    for (const bar of truth) {
      const c = shown.get(bar.start);
      const { start, open, high, low, close, volume, trades } = bar;
      expect(c && { start: c.start, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume, trades: c.trades }, `bar at ${new Date(start).toISOString()}`)
        .toEqual({ start, open, high, low, close, volume, trades });
    }
    return truth;
  };

  beforeAll(async () => {
    await mkdir(OUTPUT, { recursive: true });
    const webDir = join(OUTPUT, 'web');
    await buildDashboard({ sourceDir: fileURLToPath(new URL('../../src/web/app/', import.meta.url)), outDir: webDir });
    // Sentiment on, without simulated headlines: the panel's empty state holds until the test ingests news.
    engine = await startEngine({ feed: 'simulated', symbols: [SYMBOL, 'MSFT', 'NVDA'], simTradesPerSecond: 5, apiKey: 'test-key', webDir, sentiment: true, simNewsPerMinute: 0 });
    profile = await mkdtemp(join(tmpdir(), 'supernova-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 800 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(`${msg.text()} (${msg.location().url})`);
    });
    page.on('pageerror', (err) => consoleErrors.push(`page error: ${err.message}`));
    // Bars close about 2 s (the lateness) after their end: wait for a few before opening the page.
    await vi.waitFor(async () => expect((await restBars('1s')).length).toBeGreaterThanOrEqual(BARS_BEFORE_LOAD), { timeout: 20_000, interval: 250 });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await engine?.stop();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it('fills from the bars API, updates live, and recovers a cut socket without a gap', async () => {
    const historyAtLoad = await restBars('1s');
    await page.goto(`${engine.http}/?reconnectDelayMs=${OUTAGE_MS}`);

    // Watchlist: every row shows a price (delivered on subscribe by market:SYM), and it moves.
    await page.waitForFunction(() => {
      const cells = [...document.querySelectorAll('#watchlist td.last')];
      return cells.length === 3 && cells.every((td) => /\d/.test(td.textContent ?? ''));
    }, undefined, { timeout: 10_000 });
    const firstPrice = await page.textContent(`#watchlist tr[data-symbol="${SYMBOL}"] td.last`);
    await page.waitForFunction(([sym, before]) => document.querySelector(`#watchlist tr[data-symbol="${sym}"] td.last`)?.textContent !== before, [SYMBOL, firstPrice] as const, { timeout: 10_000 });

    // Sparkline: starts with the closes of the bars that closed before the page opened.
    const closes = historyAtLoad.map((b) => b.close);
    await page.waitForFunction((n) => (window.supernovaDashboard?.sparkline('AAPL').length ?? 0) > n, closes.length, { timeout: 10_000 });
    const spark = await page.evaluate(() => [...(window.supernovaDashboard?.sparkline('AAPL') ?? [])]);
    expect(spark.slice(0, closes.length)).toEqual(closes);

    // Chart header: last price and the session VWAP of market:SYM. Sentiment: its empty state.
    await expect.poll(() => page.textContent('#chart-quote')).toMatch(/^Last [\d,.]+ · .+% · VWAP [\d,.]+$/);
    expect(await page.getAttribute('#sentiment', 'data-empty')).toBe('true');
    expect(await page.isVisible('#sentiment .empty')).toBe(true);

    // Chart: candles from the bars API and bars:1s:AAPL, equal to the server's bars.
    await page.waitForFunction(() => Number(document.querySelector('#chart')?.getAttribute('data-candles')) >= 3, undefined, { timeout: 15_000 });
    expect(await page.locator('#chart canvas').count()).toBeGreaterThan(0);
    expect(await page.getAttribute('#connection', 'data-state')).toBe('connected');
    const beforeCut = await expectChartMatchesServer('1s');
    expect(beforeCut.length).toBeGreaterThanOrEqual(BARS_BEFORE_LOAD);
    expect((await pageCandles())[0]?.start).toBe(historyAtLoad[0]?.start);

    // Cut the socket from the server (anonymous user ""; a code below 3500 tells the SDK to
    // reconnect), which it does after OUTAGE_MS while the engine keeps publishing bars.
    await page.evaluate(() => {
      const el = document.querySelector('#connection') as HTMLElement;
      const seen: string[] = [];
      (window as unknown as { connectionStates: string[] }).connectionStates = seen;
      new MutationObserver(() => seen.push(el.dataset['state'] ?? '')).observe(el, { attributes: true, attributeFilter: ['data-state'] });
    });
    const cutAt = Date.now();
    const cut = await api(engine.http, 'disconnect', { user: '', disconnect: { code: 3000, reason: 'e2e network cut' } });
    expect(cut.status).toBe(200);
    await page.waitForFunction(() => {
      const seen = (window as unknown as { connectionStates: string[] }).connectionStates;
      return seen.includes('reconnecting') && seen[seen.length - 1] === 'recovered';
    }, undefined, { timeout: 15_000 });
    const recoveredAt = Date.now();
    expect(recoveredAt - cutAt).toBeGreaterThanOrEqual(OUTAGE_MS - 200);
    expect(await page.textContent('#connection .label')).toContain('recovered');

    // Once bars after the outage have closed, the page holds every one of the server's bars.
    await vi.waitFor(async () => expect((await restBars('1s')).at(-1)?.start).toBeGreaterThan(recoveredAt + 1000), { timeout: 15_000, interval: 250 });
    const afterCut = await expectChartMatchesServer('1s');
    const duringOutage = afterCut.filter((b) => b.start >= cutAt && b.start + 1000 <= recoveredAt);
    expect(duringOutage.length, 'bars that closed while the page was away').toBeGreaterThanOrEqual(2);
    // Sentiment: ingested news about the selected symbol shows, scored, with the rolling sentiment.
    const headline = 'Apple beats quarterly earnings estimates, shares jump 8%';
    const news = await fetch(`${engine.http}/api/v1/ingest/news`, {
      method: 'POST', headers: { authorization: 'apikey test-key', 'content-type': 'application/json' },
      body: JSON.stringify([{ id: 'e2e-1', symbols: [SYMBOL], headline, source: 'e2e', ts: Date.now() }, { id: 'e2e-2', symbols: ['MSFT'], headline: 'Microsoft names new CFO', ts: Date.now() }]),
    });
    expect(await news.json()).toMatchObject({ accepted: 2, rejected: 0 });
    await page.waitForFunction(() => document.querySelector('#sentiment')?.getAttribute('data-empty') === 'false', undefined, { timeout: 10_000 });
    expect(await page.textContent('#sentiment li[data-id="e2e-1"] .text')).toBe(headline);
    expect(await page.textContent('#sentiment li[data-id="e2e-1"] .badge')).toMatch(/^bullish \d{1,3}%$/);
    expect(await page.getAttribute('#sentiment li[data-id="e2e-1"] .badge', 'data-label')).toBe('bullish');
    // Only the selected symbol's news, and the aggregate's line: its EMA and the hour's one bullish item.
    expect(await page.locator('#sentiment .headlines li').count()).toBe(1);
    await expect.poll(() => page.textContent('#sentiment .rolling')).toMatch(/^[+\u2212]?\d\.\d\d (bullish|bearish|neutral) · 1 this hour \(1▲ 0▼ 0•\)$/);
    expect(await page.isVisible('#sentiment .empty')).toBe(false);

    await page.screenshot({ path: join(OUTPUT, 'dashboard.png') });

    // Another interval: 1m candles, aligned to minutes, equal to the server's closed 1m bars.
    await page.click('#intervals button[data-interval="1m"]');
    expect(await page.textContent('#chart-title')).toBe(`${SYMBOL} · 1m`);
    await page.waitForFunction(() => window.supernovaDashboard?.interval() === '1m' && (window.supernovaDashboard?.candles().length ?? 0) >= 1, undefined, { timeout: 10_000 });
    expect((await pageCandles()).every((c) => c.start % 60_000 === 0)).toBe(true);
    await expectChartMatchesServer('1m');

    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(OUTPUT, 'dashboard-phone.png'), fullPage: true });

    expect(consoleErrors).toEqual([]);
  }, 60_000);
});
