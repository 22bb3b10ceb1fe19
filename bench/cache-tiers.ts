/**
 * `npm run bench:cache-tiers`: what a read costs in each cache tier. A warm L1 read through the
 * cache (`peek`, and `get` on a hit) against a bare Map.get of the same keys in the same run; L2
 * and L3 hits against a bare GET on the same Redis and a bare SELECT on the same PostgreSQL,
 * each decoded with a plain msgpackr as the tier decodes it.
 * `measureCacheTiers()` is the function a combined bench calls; run alone it prints a table.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { Redis } from 'ioredis';
import { Packr } from 'msgpackr';
import { ActorRuntime } from '../actors/runtime/index.js';
import { Cache } from '../actors/cache-shard/index.js';
import { MsgpackValueCodec, PostgresTier, RedisTier } from '../src/cache/index.js';
import { createRedisConnector } from '../src/redis/index.js';
import { Database } from '../src/storage/index.js';
import { ratioTable, type RatioRow } from './shared/ratio-table.js';

export interface CacheTierBenchOptions {
  /** Redis for L2 (skipped when undefined). */
  redisUrl?: string | undefined;
  /** A PostgreSQL superuser URL: the bench creates a database of its own there and drops it (L3 skipped when undefined). */
  postgresAdminUrl?: string | undefined;
  /** Distinct keys read. */
  keys?: number;
  /** Reads of warm L1 (and of the Map). */
  l1Reads?: number;
  /** Sequential reads of L2 and L3 each. */
  remoteReads?: number;
  /** Shards of the cache under test. */
  shards?: number;
}

export interface CacheTierFigures {
  /** Nanoseconds per read, medians of 5 rounds. */
  mapGetNs: number;
  l1PeekNs: number;
  l1GetNs: number;
  /** Microseconds, per read, from sequential reads. */
  l2?: { p50Us: number; p99Us: number; rawP50Us: number; rawP99Us: number } | undefined;
  l3?: { p50Us: number; p99Us: number; rawP50Us: number; rawP99Us: number } | undefined;
  rows: RatioRow[];
}

/** A value of the size a page of bars is: 60 closed bars of OHLCV. */
function sampleValue(i: number): unknown {
  return { symbol: `SYM${i}`, bars: Array.from({ length: 60 }, (_, j) => ({ start: j * 60_000, open: 100 + j, high: 101 + j, low: 99 + j, close: 100.5 + j, volume: 1_000 + j })) };
}

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1] as number;
const pct = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;

/** ns per call of `read` over `reads` calls, median of 5 rounds (after one untimed). */
function nsPerRead(reads: number, keys: readonly string[], read: (key: string) => unknown): number {
  const rounds: number[] = [];
  let sink = 0;
  for (let r = 0; r < 6; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < reads; i++) if (read(keys[i % keys.length] as string) !== undefined) sink++;
    const ns = Number(process.hrtime.bigint() - t0) / reads;
    if (r > 0) rounds.push(ns);
  }
  if (sink === 0) throw new Error('every read missed: the bench is not measuring hits');
  return median(rounds);
}

async function nsPerAsyncRead(reads: number, keys: readonly string[], read: (key: string) => Promise<unknown>): Promise<number> {
  const rounds: number[] = [];
  for (let r = 0; r < 6; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < reads; i++) await read(keys[i % keys.length] as string);
    if (r > 0) rounds.push(Number(process.hrtime.bigint() - t0) / reads);
  }
  return median(rounds);
}

/** p50 and p99 in µs of `reads` sequential reads. */
async function latency(reads: number, keys: readonly string[], read: (key: string) => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < Math.min(200, reads); i++) await read(keys[i % keys.length] as string);
  const us: number[] = [];
  for (let i = 0; i < reads; i++) {
    const t0 = process.hrtime.bigint();
    if ((await read(keys[i % keys.length] as string)) === undefined) throw new Error('a remote read missed: the bench is not measuring hits');
    us.push(Number(process.hrtime.bigint() - t0) / 1_000);
  }
  us.sort((a, b) => a - b);
  return { p50: pct(us, 0.5), p99: pct(us, 0.99) };
}

export async function measureCacheTiers(o: CacheTierBenchOptions = {}): Promise<CacheTierFigures> {
  const nKeys = o.keys ?? 1_000;
  const l1Reads = o.l1Reads ?? 2_000_000;
  const remoteReads = o.remoteReads ?? 2_000;
  const keys = Array.from({ length: nKeys }, (_, i) => `bench:bars:SYM${i}`);
  const codec = new MsgpackValueCodec();
  // The baselines decode what they read too, with a plain msgpackr: the ratio is the tier's own cost.
  const packr = new Packr({ useRecords: false, mapsAsObjects: true });

  // L1 against a Map holding the same values.
  const rt = new ActorRuntime({ name: 'bench-cache' });
  rt.start();
  const cache = new Cache({
    runtime: rt, shards: o.shards ?? 4, l1: { maxItems: nKeys * 2, maxBytes: 1 << 30, ttlMs: 3_600_000 }, maxEntryBytes: 1 << 20, maxPending: 10_000,
    timeoutMs: 5_000, tierTimeoutMs: 1_000, maintenanceMs: 0, warmKeys: 0,
  });
  await cache.start();
  const map = new Map<string, unknown>();
  for (const [i, key] of keys.entries()) {
    const v = sampleValue(i);
    map.set(key, v);
    await cache.set(key, v);
  }
  const mapGetNs = nsPerRead(l1Reads, keys, (k) => map.get(k));
  const l1PeekNs = nsPerRead(l1Reads, keys, (k) => cache.peek(k));
  const l1GetNs = await nsPerAsyncRead(Math.floor(l1Reads / 10), keys, (k) => cache.get(k, () => undefined));
  // The same Map read awaited, so the get's figure is compared with what an await costs anyway.
  const mapAwaitNs = await nsPerAsyncRead(Math.floor(l1Reads / 10), keys, async (k) => map.get(k));
  await cache.stop();
  await rt.stop();

  const rows: RatioRow[] = [
    { benchmark: 'cache L1 warm read (peek)', metric: 'ns/read', supernova: l1PeekNs, baseline: 'Map.get', value: mapGetNs, higherIsBetter: false },
    { benchmark: 'cache L1 warm read (peek), absolute', metric: 'ns/read', supernova: l1PeekNs, baseline: '1 µs', value: 1_000, higherIsBetter: false, target: 1 },
    { benchmark: 'cache L1 warm read (await get)', metric: 'ns/read', supernova: l1GetNs, baseline: 'await Map', value: mapAwaitNs, higherIsBetter: false },
  ];
  const figures: CacheTierFigures = { mapGetNs, l1PeekNs, l1GetNs, rows };

  if (o.redisUrl) {
    const prefix = `snbench:${randomUUID().slice(0, 8)}`;
    const tier = new RedisTier({ connector: createRedisConnector({ url: o.redisUrl }), prefix, ttlMs: 600_000, maxEntryBytes: 1 << 20, timeoutMs: 2_000, codec });
    const raw = new Redis(o.redisUrl, { protocol: 2 });
    try {
      await tier.start();
      if (!tier.available) throw new Error(`no Redis at ${o.redisUrl}`);
      for (const [i, key] of keys.entries()) await tier.set(key, sampleValue(i));
      const t = await latency(remoteReads, keys, (k) => tier.get(k));
      const r = await latency(remoteReads, keys, async (k) => {
        const bytes = await raw.getBuffer(`${prefix}:cache:${k}`);
        return bytes === null ? undefined : packr.unpack(bytes);
      });
      figures.l2 = { p50Us: t.p50, p99Us: t.p99, rawP50Us: r.p50, rawP99Us: r.p99 };
      rows.push({ benchmark: 'cache L2 hit (Redis, decoded)', metric: 'p50 µs', supernova: t.p50, baseline: 'GET+unpack', value: r.p50, higherIsBetter: false });
      rows.push({ benchmark: 'cache L2 hit (Redis, decoded)', metric: 'p99 µs', supernova: t.p99, baseline: 'GET+unpack', value: r.p99, higherIsBetter: false });
      await tier.clear('');
    } finally {
      await tier.stop();
      raw.disconnect();
    }
  }

  if (o.postgresAdminUrl) {
    const name = `snbench_cache_${randomUUID().slice(0, 8)}`;
    const admin = postgres(o.postgresAdminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    const url = new URL(o.postgresAdminUrl);
    url.pathname = `/${name}`;
    const database = new Database({ url: url.toString(), poolSize: 2 });
    try {
      await database.start();
      const tier = new PostgresTier({ database, ttlMs: 600_000, maxEntryBytes: 1 << 20, maxRows: 1_000_000, maxBytes: 1 << 30, timeoutMs: 2_000, codec });
      for (const [i, key] of keys.entries()) await tier.set(key, sampleValue(i));
      const t = await latency(remoteReads, keys, (k) => tier.get(k));
      const r = await latency(remoteReads, keys, async (k) => {
        const bytes = (await database.sql<{ value: Buffer }[]>`select value from cache_entries where key = ${k}`)[0]?.value;
        return bytes === undefined ? undefined : packr.unpack(bytes);
      });
      figures.l3 = { p50Us: t.p50, p99Us: t.p99, rawP50Us: r.p50, rawP99Us: r.p99 };
      rows.push({ benchmark: 'cache L3 hit (PostgreSQL, decoded)', metric: 'p50 µs', supernova: t.p50, baseline: 'SELECT+unp', value: r.p50, higherIsBetter: false });
      rows.push({ benchmark: 'cache L3 hit (PostgreSQL, decoded)', metric: 'p99 µs', supernova: t.p99, baseline: 'SELECT+unp', value: r.p99, higherIsBetter: false });
    } finally {
      await database.stop();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end({ timeout: 1 });
    }
  }
  return figures;
}

const HELP = `npm run bench:cache-tiers [-- options]
  --redis URL      Redis for L2 (default SUPERNOVA_REDIS_URL or redis://127.0.0.1:6379; "none" skips L2)
  --postgres URL   PostgreSQL superuser URL; a database of the bench's own is created there and dropped
                   (default postgres://postgres@127.0.0.1:5432/postgres; "none" skips L3)
  --keys N         distinct keys (default 1000), each a page of 60 bars (about 3 KB of msgpack)
  --reads N        warm L1 reads per round (default 2000000; 5 rounds, median)
  --remote-reads N sequential L2 and L3 reads (default 2000)`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { redis: { type: 'string' }, postgres: { type: 'string' }, keys: { type: 'string' }, reads: { type: 'string' }, 'remote-reads': { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const redisUrl = values.redis ?? process.env.SUPERNOVA_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const pgUrl = values.postgres ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const figures = await measureCacheTiers({
    redisUrl: redisUrl === 'none' ? undefined : redisUrl,
    postgresAdminUrl: pgUrl === 'none' ? undefined : pgUrl,
    ...(values.keys ? { keys: Number(values.keys) } : {}),
    ...(values.reads ? { l1Reads: Number(values.reads) } : {}),
    ...(values['remote-reads'] ? { remoteReads: Number(values['remote-reads']) } : {}),
  });
  console.log(ratioTable(figures.rows));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      process.exit(1);
    },
  );
}
