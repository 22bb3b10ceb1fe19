import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import type { Bar, BarsPage } from '../../streams/index.js';
import { startEngine, type TestEngine } from '../support/engine.js';
import { connected, sdkClient } from '../support/client.js';
import { postgresReachable, testDatabase } from '../support/postgres.js';
import { PrivatePostgres } from '../support/private-postgres.js';
import { sharedData } from '../support/shared-data.js';

const reachable = await postgresReachable();
const canStartOwn = PrivatePostgres.installed();
const day = sharedData('market/spy-2013-10-07/ticks.csv.gz');

async function page(t: TestEngine, query: string): Promise<BarsPage> {
  const res = await fetch(`${t.http}/api/v1/market/SPY/bars?${query}`);
  const body = (await res.json()) as BarsPage;
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

async function storedCount(url: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ n: string }[]>`select count(*) as n from bars where symbol = 'SPY' and interval = '1m'`;
    return Number(row?.n ?? 0);
  } finally {
    await sql.end();
  }
}

/** Every bar of a series, newest page first, following next_cursor to the end. */
async function pageBack(t: TestEngine, limit: number): Promise<{ bars: Partial<Bar>[]; pages: number }> {
  const bars: Partial<Bar>[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const p: BarsPage = await page(t, `interval=1m&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    bars.unshift(...p.items);
    cursor = p.next_cursor;
    pages++;
  } while (cursor && pages < 1_000);
  return { bars, pages };
}

describe.runIf(reachable && day.available)('bars past the in-memory ring come from PostgreSQL', () => {
  let db: { url: string; drop(): Promise<void> };
  /** The recorded day as the engine that replayed it held it in memory, and as stored. */
  let day1m: Partial<Bar>[];

  beforeAll(async () => {
    db = await testDatabase('archive');
    const replayer = await startEngine({ databaseUrl: db.url, feed: 'replay', replayFile: day.file, replaySpeed: 'max', barIntervals: ['1m'], persistFlushMs: 50 });
    let held: Partial<Bar>[] = [];
    try {
      // The day replays in seconds; its last minute would close by the wall clock a minute later, so
      // the stop closes it (and writes it) instead.
      const deadline = Date.now() + 60_000;
      while (held.length < 827 && Date.now() < deadline) {
        const res = await fetch(`${replayer.http}/api/v1/market/SPY/bars?interval=1m&limit=1000`);
        if (res.status === 200) held = ((await res.json()) as BarsPage).items;
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await replayer.stop();
    }
    expect(held).toHaveLength(827);
    expect(await storedCount(db.url)).toBe(828);
    const t = await startEngine({ databaseUrl: db.url, barIntervals: ['1m'] });
    try {
      day1m = (await page(t, 'interval=1m&limit=1000')).items;
    } finally {
      await t.stop();
    }
    expect(day1m.slice(0, 827)).toEqual(held);
    expect(day1m[827]).toMatchObject({ start: Date.UTC(2013, 9, 7, 23, 59), final: true });
  }, 90_000);
  afterAll(async () => {
    await db?.drop();
  });

  it('after a restart, pages back by cursor through the whole recorded day, equal to the bars the replaying engine held', async () => {
    // No feed: nothing is in memory, every bar is read from the database.
    const t = await startEngine({ databaseUrl: db.url, barIntervals: ['1m'], barHistory: 10 });
    try {
      const { bars, pages } = await pageBack(t, 100);
      expect(pages).toBe(9);
      expect(bars).toEqual(day1m);
      // Page style counts over the database too.
      const third = await page(t, 'interval=1m&limit=100&page=3');
      expect(third.total).toBe(828);
      expect(third.items).toEqual(day1m.slice(828 - 300, 828 - 200));
      const last = await page(t, 'interval=1m&limit=100&page=9');
      expect(last.items).toEqual(day1m.slice(0, 28));
      expect(last.next_cursor).toBeNull();

      // Once read, the pages before a cursor come from the cache: the same walk again asks the
      // database only the open-ended question (the newest stored bars).
      const asked = () => t.engine.database?.queryStats()['bars.before']?.calls ?? 0;
      const before = asked();
      expect((await pageBack(t, 100)).bars).toEqual(day1m);
      expect(asked() - before).toBe(1);
      const cache = (await (await fetch(`${t.http}/performance/metrics/cache`)).json()) as { requests: { fromL1: number } };
      expect(cache.requests.fromL1).toBeGreaterThanOrEqual(8);
    } finally {
      await t.stop();
    }
  });

  it('a restarted engine finds the pages it served in the cache\'s PostgreSQL tier', async () => {
    // The first test walked every page; this engine's L1 is empty, L3 (cache_entries) is not.
    const t = await startEngine({ databaseUrl: db.url, barIntervals: ['1m'], cacheWarmKeys: 0 });
    try {
      expect((await pageBack(t, 100)).bars).toEqual(day1m);
      expect(t.engine.database?.queryStats()['bars.before']?.calls).toBe(1);
      const cache = (await (await fetch(`${t.http}/performance/metrics/cache`)).json()) as { tiers: { l3: { hits: number } } };
      expect(cache.tiers.l3.hits).toBeGreaterThanOrEqual(8);
    } finally {
      await t.stop();
    }
  });

  it('with SUPERNOVA_CACHE_READS=false every page goes to the database', async () => {
    const t = await startEngine({ databaseUrl: db.url, barIntervals: ['1m'], cacheReads: false });
    try {
      await pageBack(t, 100);
      expect((await pageBack(t, 100)).bars).toEqual(day1m);
      expect(t.engine.database?.queryStats()['bars.before']?.calls).toBe(18);
    } finally {
      await t.stop();
    }
  });

  it('joins the ring and the database without a gap or a repeat, over HTTP and RPC', async () => {
    // The day's last 5 minutes again in memory (as a restarted replay would hold them), the rest only stored.
    const t = await startEngine({ databaseUrl: db.url, barIntervals: ['1m'], barHistory: 5, apiKey: 'test-key', barLatenessMs: 0 });
    const client = sdkClient(t.url);
    try {
      const tail = day1m.slice(-6);
      const ticks = tail.flatMap((b) => [{ symbol: 'SPY', price: b.open, size: 1, ts: (b.start as number) + 1 }]);
      const res = await fetch(`${t.http}/api/v1/ingest/ticks`, { method: 'POST', headers: { authorization: 'apikey test-key', 'content-type': 'application/json' }, body: JSON.stringify(ticks) });
      expect(res.status).toBe(200);
      // The sixth tick's bar stays open: five closed in memory, their starts those of the day's last five.
      let ring: BarsPage;
      const deadline = Date.now() + 5_000;
      do ring = await page(t, 'interval=1m&limit=5');
      while (ring.items.length < 5 && Date.now() < deadline);
      expect(ring.items.map((b) => b.start)).toEqual(day1m.slice(-6, -1).map((b) => b.start));
      const across = await page(t, 'interval=1m&limit=12');
      expect(across.items.map((b) => b.start)).toEqual(day1m.slice(-13, -1).map((b) => b.start));
      expect(across.items.slice(0, 7)).toEqual(day1m.slice(-13, -6));
      client.connect();
      await connected(client);
      const { data } = await client.rpc('market.bars', { symbol: 'SPY', interval: '1m', limit: 10, cursor: across.next_cursor });
      expect((data as BarsPage).items).toEqual(day1m.slice(-23, -13));
    } finally {
      client.disconnect();
      await t.stop();
    }
  });

  it('an unknown symbol is still 404, and one no tick could carry never reaches the database', async () => {
    const t = await startEngine({ databaseUrl: db.url, barIntervals: ['1m'] });
    try {
      for (const symbol of ['NOPE', 'x'.repeat(200), '%27%3B--']) {
        const res = await fetch(`${t.http}/api/v1/market/${symbol}/bars`);
        expect(res.status).toBe(404);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNKNOWN_SYMBOL');
      }
      const asked = t.engine.database?.queryStats()['bars.has_symbol']?.calls;
      expect(asked).toBe(1);
    } finally {
      await t.stop();
    }
  });
});

describe.runIf(canStartOwn)('bars past the ring while the database is down', () => {
  it('answer 503 DATABASE_UNAVAILABLE over HTTP and error 100 (temporary) over RPC, and come back with it', async () => {
    const pg = await PrivatePostgres.start();
    const t = await startEngine({ databaseUrl: pg.url, barIntervals: ['1m'], barHistory: 2, apiKey: 'test-key', barLatenessMs: 0, persistFlushMs: 20 });
    const client = sdkClient(t.url);
    try {
      const from = Date.UTC(2024, 0, 2, 15);
      const ticks = Array.from({ length: 6 }, (_, i) => ({ symbol: 'DOWN', price: 10 + i, size: 1, ts: from + i * 60_000 }));
      expect((await fetch(`${t.http}/api/v1/ingest/ticks`, { method: 'POST', headers: { authorization: 'apikey test-key', 'content-type': 'application/json' }, body: JSON.stringify(ticks) })).status).toBe(200);
      const bars = async () => fetch(`${t.http}/api/v1/market/DOWN/bars?interval=1m&limit=5`);
      let ok: Response;
      const deadline = Date.now() + 5_000;
      do ok = await bars();
      while (((await ok.clone().json()) as BarsPage).items.length < 5 && Date.now() < deadline);
      expect(((await ok.json()) as BarsPage).items.map((b) => b.close)).toEqual([10, 11, 12, 13, 14]);

      // Read once while the database answers: cached.
      const cursorPage = async () => fetch(`${t.http}/api/v1/market/DOWN/bars?interval=1m&limit=2&cursor=${((await (await fetch(`${t.http}/api/v1/market/DOWN/bars?interval=1m&limit=2`)).json()) as BarsPage).next_cursor}`);
      expect((await cursorPage()).status).toBe(200);

      pg.stopServer();
      // The cached page still answers; the others (each a question not asked before) cannot.
      const cached = await cursorPage();
      expect(cached.status).toBe(200);
      expect(((await cached.json()) as BarsPage).items.map((b) => b.close)).toEqual([11, 12]);
      const down = await fetch(`${t.http}/api/v1/market/DOWN/bars?interval=1m&limit=3`);
      expect(down.status).toBe(503);
      expect(((await down.json()) as { error: { code: string } }).error.code).toBe('DATABASE_UNAVAILABLE');
      // Within the ring, memory answers alone.
      expect((await fetch(`${t.http}/api/v1/market/DOWN/bars?interval=1m&limit=2`)).status).toBe(200);
      client.connect();
      await connected(client);
      const err = await client.rpc('market.bars', { symbol: 'DOWN', interval: '1m', limit: 2, page: 1 }).then(() => undefined, (e: { code: number; temporary?: boolean }) => e);
      expect(err).toMatchObject({ code: 100, temporary: true });

      await pg.startServer();
      const back = Date.now() + 10_000;
      let again: Response;
      do again = await fetch(`${t.http}/api/v1/market/DOWN/bars?interval=1m&limit=3`);
      while (again.status !== 200 && Date.now() < back);
      expect(again.status).toBe(200);
    } finally {
      client.disconnect();
      await t.stop();
      await pg.stop();
    }
  }, 60_000);
});
