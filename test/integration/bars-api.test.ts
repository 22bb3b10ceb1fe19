import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BarsPage as Page } from '../../streams/index.js';
import { startEngine, type TestEngine } from '../support/engine.js';
import { connected, sdkClient, until } from '../support/client.js';

// A recorded half hour: one print every 10 s from 09:30 New York time on 2013-10-07, prices
// rising a cent a print. Replayed as fast as possible, it ends as 30 closed 1m bars and 180 1s bars.
const MINUTES = 30;
const OPEN = Date.UTC(2013, 9, 7, 13, 30);
let dir: string;
let t: TestEngine;


async function get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${t.http}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
const page = async (query: string): Promise<Page> => {
  const { status, body } = await get(`/api/v1/market/SPY/bars?${query}`);
  expect(status, JSON.stringify(body)).toBe(200);
  return body as unknown as Page;
};
const starts = (p: Page) => p.items.map((b) => b.start);
const minute = (i: number) => OPEN + i * 60_000;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bars-api-'));
  const rows = Array.from({ length: MINUTES * 6 }, (_, i) => `${34_200_000 + i * 10_000},${1_674_100 + i * 100},${100 + i},P,1,0`);
  const file = join(dir, 'spy-2013-10-07.csv.gz');
  writeFileSync(file, gzipSync(['ms_since_midnight_et,price_decicents,size,exchange,condition,suspicious', ...rows].join('\n')));
  t = await startEngine({ feed: 'replay', replayFile: file, replaySpeed: 'max', barIntervals: ['1s', '1m'], barLatenessMs: 2_000 });
  // The replay ends, the bars flush: every minute is closed.
  let total = 0;
  const poll = setInterval(() => {
    void get('/api/v1/market/SPY/bars?page=1').then((r) => (total = Number(r.body.total ?? 0)), () => {});
  }, 20);
  try {
    await until(() => total === MINUTES, 'the replay to close every bar', 15_000);
  } finally {
    clearInterval(poll);
  }
});
afterAll(async () => {
  await t?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('GET /api/v1/market/:symbol/bars', () => {
  it('serves the newest closed bars, ascending, 1m by default, with OHLCV and VWAP from the replay', async () => {
    const p = await page('limit=3');
    expect(p).toMatchObject({ symbol: 'SPY', interval: '1m' });
    expect(starts(p)).toEqual([minute(27), minute(28), minute(29)]);
    // Minute 29 holds prints 174..179: prices 169.15 .. 169.20, sizes 274..279.
    const sizes = [274, 275, 276, 277, 278, 279];
    const prices = sizes.map((_, k) => (1_674_100 + (174 + k) * 100) / 10_000);
    const vwap = Math.round(sizes.reduce((n, s, k) => n + Math.round(prices[k]! * 10_000) * s, 0) / sizes.reduce((a, b) => a + b, 0)) / 10_000;
    expect(p.items[2]).toEqual({
      symbol: 'SPY', interval: '1m', start: minute(29), end: minute(30),
      open: 169.15, high: 169.2, low: 169.15, close: 169.2, volume: 1_659, vwap, trades: 6, final: true,
    });
    expect((await page('')).items).toHaveLength(MINUTES);
    expect((await page('interval=1s&limit=1000')).items).toHaveLength(MINUTES * 6);
  });

  it('pages by page number: page 1 is the newest, with the total', async () => {
    const p1 = await page('interval=1m&limit=12&page=1');
    const p2 = await page('interval=1m&limit=12&page=2');
    const p3 = await page('interval=1m&limit=12&page=3');
    const p4 = await page('interval=1m&limit=12&page=4');
    expect(starts(p1)).toEqual(Array.from({ length: 12 }, (_, i) => minute(18 + i)));
    expect(starts(p2)).toEqual(Array.from({ length: 12 }, (_, i) => minute(6 + i)));
    expect(starts(p3)).toEqual(Array.from({ length: 6 }, (_, i) => minute(i)));
    expect(p4.items).toEqual([]);
    expect([p1.page, p1.total, p3.page, p3.total]).toEqual([1, MINUTES, 3, MINUTES]);
    expect(p3.next_cursor).toBeNull();
  });

  it('pages by cursor to older bars until next_cursor is null, seeing every bar once', async () => {
    const seen: number[] = [];
    let p = await page('limit=7');
    let pages = 1;
    seen.unshift(...(starts(p) as number[]));
    while (p.next_cursor) {
      p = await page(`limit=7&cursor=${p.next_cursor}`);
      seen.unshift(...(starts(p) as number[]));
      pages++;
    }
    expect(pages).toBe(5);
    expect(seen).toEqual(Array.from({ length: MINUTES }, (_, i) => minute(i)));
    expect(p.page).toBeUndefined();
  });

  it('keeps only the fields asked for', async () => {
    const p = await page('limit=2&fields=open,close,start');
    expect(p.items).toEqual([
      { open: 169.09, close: 169.14, start: minute(28) },
      { open: 169.15, close: 169.2, start: minute(29) },
    ]);
  });

  it.each([
    ['interval=5m', 'UNKNOWN_INTERVAL', /valid intervals: 1s, 1m/],
    ['fields=open,colour', 'INVALID_PARAMS', /unknown field\(s\) colour; valid fields: symbol, interval/],
    ['limit=0', 'INVALID_PARAMS', /limit/],
    ['limit=1001', 'INVALID_PARAMS', /limit/],
    ['limit=ten', 'INVALID_PARAMS', /limit/],
    ['page=0', 'INVALID_PARAMS', /page/],
    ['page=1&cursor=abc', 'INVALID_PARAMS', /either page or cursor/],
    ['cursor=not*a*cursor', 'INVALID_CURSOR', /invalid cursor/],
    [`cursor=${Buffer.from('{"s":"SPY","i":"1m"}').toString('base64url')}`, 'INVALID_CURSOR', /invalid cursor/],
    [`cursor=${Buffer.from('{"s":"AAPL","i":"1m","b":0}').toString('base64url')}`, 'INVALID_CURSOR', /1m bars of AAPL, not 1m bars of SPY/],
    [`interval=1s&cursor=${Buffer.from(JSON.stringify({ s: 'SPY', i: '1m', b: OPEN })).toString('base64url')}`, 'INVALID_CURSOR', /not 1s bars of SPY/],
  ])('answers 400 with a JSON error for %s', async (query, code, message) => {
    const { status, body } = await get(`/api/v1/market/SPY/bars?${query}`);
    expect(status).toBe(400);
    expect(body).toEqual({ error: { code, message: expect.stringMatching(message) as unknown } });
  });

  it('answers 404 for a symbol the market has not seen', async () => {
    const { status, body } = await get('/api/v1/market/NOPE/bars');
    expect(status).toBe(404);
    expect(body).toEqual({ error: { code: 'UNKNOWN_SYMBOL', message: 'unknown symbol "NOPE"; valid symbols: SPY' } });
  });

  it('answers the same over RPC market.bars, and bad params are error 107', async () => {
    const c = sdkClient(t.url);
    await connected(c);
    const http = await page('interval=1m&limit=4&fields=start,vwap');
    const rpc = await c.rpc('market.bars', { symbol: 'SPY', interval: '1m', limit: 4, fields: ['start', 'vwap'] });
    expect(rpc.data).toEqual(http);
    const older = await c.rpc('market.bars', { symbol: 'SPY', limit: 4, cursor: http.next_cursor });
    expect((older.data as Page).items.map((b) => b.start)).toEqual([minute(22), minute(23), minute(24), minute(25)]);
    await expect(c.rpc('market.bars', { symbol: 'SPY', interval: '1d' })).rejects.toMatchObject({ code: 107, message: expect.stringContaining('1d') });
    await expect(c.rpc('market.bars', { symbol: 'SPY', cursor: 'forged' })).rejects.toMatchObject({ code: 107, message: expect.stringContaining('cursor') });
    await expect(c.rpc('market.bars', { symbol: 'ZZZ' })).rejects.toMatchObject({ code: 107 });
    await expect(c.rpc('market.bars', 'SPY')).rejects.toMatchObject({ code: 107 });
    await expect(c.rpc('market.bars', { symbol: 'SPY', extra: 1 })).rejects.toMatchObject({ code: 107, message: expect.stringContaining('extra') });
    c.disconnect();
  });

  it('puts the session VWAP into market:SPY and counts no late ticks', async () => {
    const c = sdkClient(t.url);
    await connected(c);
    const snapshots: Record<string, number>[] = [];
    const sub = c.newSubscription('market:SPY');
    sub.on('publication', (ctx) => snapshots.push(ctx.data as Record<string, number>));
    sub.subscribe();
    await until(() => snapshots.length > 0, 'the latest market:SPY snapshot');
    const sizes = Array.from({ length: MINUTES * 6 }, (_, i) => 100 + i);
    const notional = sizes.reduce((n, s, i) => n + (1_674_100 + i * 100) * s, 0);
    const volume = sizes.reduce((a, b) => a + b, 0);
    expect(snapshots.at(-1)).toMatchObject({ symbol: 'SPY', last: 169.2, open: 167.41, change: 1.79, volume, vwap: Math.round(notional / volume) / 10_000 });
    const metrics = await (await fetch(`${t.http}/metrics`)).text();
    expect(metrics).toMatch(/supernova_bars_late_ticks_total 0/);
    c.disconnect();
  });
});
