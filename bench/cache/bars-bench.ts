import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { barSink, Database } from '../../src/storage/index.js';
import type { Bar, BarsPage } from '../../streams/index.js';
import { BenchChild } from '../orchestrator/bench-child.js';
import type { CpuPlan } from '../orchestrator/cpu-plan.js';
import { childScripts } from '../orchestrator/paths.js';
import { median } from '../shared/median.js';
import type { BarsServerArgs, BarsServerReady, BarsServerRpc } from './bars-protocol.js';

export interface BarsBenchOptions {
  /** A PostgreSQL superuser URL: the bench creates a database of its own there and drops it. */
  postgresAdminUrl: string;
  symbols: number;
  barsPerSymbol: number;
  /** Cursor pages per symbol that the load cycles through (each a distinct query). */
  pagesPerSymbol: number;
  connections: number;
  durationS: number;
  warmupS: number;
  rounds: number;
}

export interface BarsLoad {
  requestsPerS: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

export interface BarsBenchFigures {
  storedBars: number;
  distinctQueries: number;
  responseBytes: number;
  cached: BarsLoad;
  uncached: BarsLoad;
  rounds: { cached: BarsLoad[]; uncached: BarsLoad[] };
  /** Cached req/s over uncached req/s of the same round (measured back to back), median over the rounds: robust to the machine's drift. */
  pairedRatio: number;
}

const MINUTE = 60_000;
const DAY0 = Date.UTC(2024, 0, 2);

function bar(symbol: string, i: number): Bar {
  const price = 100 + Math.sin(i / 50) * 10;
  return { symbol, interval: '1m', start: DAY0 + i * MINUTE, end: DAY0 + (i + 1) * MINUTE, open: price, high: price + 0.5, low: price - 0.5, close: price + 0.1, volume: 1_000 + (i % 97), vwap: price, trades: 10 + (i % 13), final: true };
}

async function fill(url: string, o: BarsBenchOptions): Promise<number> {
  const db = new Database({ url, poolSize: 4 });
  await db.start();
  try {
    const sink = barSink(db);
    for (let s = 0; s < o.symbols; s++) {
      const symbol = `SYM${s}`;
      for (let from = 0; from < o.barsPerSymbol; from += 1_000) {
        await sink.write(Array.from({ length: Math.min(1_000, o.barsPerSymbol - from) }, (_, k) => bar(symbol, from + k)));
      }
    }
  } finally {
    await db.stop();
  }
  return o.symbols * o.barsPerSymbol;
}

async function startServer(args: BarsServerArgs, cpu: CpuPlan): Promise<{ child: BenchChild<BarsServerRpc>; port: number }> {
  const { child, ready } = await BenchChild.spawn<BarsServerRpc, BarsServerReady>({
    label: `bars-${args.cacheReads ? 'cached' : 'uncached'}`, script: childScripts.barsArchive, args, cpus: cpu.serverCpus, tasksetPath: cpu.tasksetPath, nodeFlags: [], readyTimeoutMs: 30_000,
  });
  return { child, port: ready.port };
}

async function stopServer(child: BenchChild<BarsServerRpc>): Promise<void> {
  await child.request('stop', null, 10_000).catch(() => undefined);
  await child.waitExit(5_000);
}

/** The cursor pages of every symbol, walked once from the newest as a client would: the queries the load repeats. */
async function cursorPaths(port: number, o: BarsBenchOptions): Promise<{ paths: string[]; bytes: number }> {
  const paths: string[] = [];
  let bytes = 0;
  for (let s = 0; s < o.symbols; s++) {
    let cursor: string | null = null;
    for (let p = 0; p < o.pagesPerSymbol + 1; p++) {
      const path: string = `/api/v1/market/SYM${s}/bars?interval=1m&limit=100${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${text.slice(0, 200)}`);
      // The first page is the open-ended one (never cached); the load repeats the pages behind cursors.
      if (cursor) {
        paths.push(path);
        bytes = Buffer.byteLength(text);
      }
      cursor = (JSON.parse(text) as BarsPage).next_cursor;
      if (!cursor) break;
    }
  }
  return { paths, bytes };
}

async function load(port: number, paths: string[], o: BarsBenchOptions, seconds: number): Promise<BarsLoad> {
  const r = await autocannon({ url: `http://127.0.0.1:${port}`, connections: o.connections, duration: seconds, timeout: 5, requests: paths.map((path) => ({ method: 'GET', path })) });
  return { requestsPerS: r.requests.average, p50Ms: r.latency.p50, p99Ms: r.latency.p99, errors: r.errors + r.timeouts + r.non2xx };
}

function medianOf(rounds: BarsLoad[]): BarsLoad {
  return {
    requestsPerS: median(rounds.map((r) => r.requestsPerS)),
    p50Ms: median(rounds.map((r) => r.p50Ms)),
    p99Ms: median(rounds.map((r) => r.p99Ms)),
    errors: rounds.reduce((n, r) => n + r.errors, 0),
  };
}

/**
 * `GET /api/v1/market/:symbol/bars` past the in-memory ring: the same cursor pages served by the
 * same engine on the same stored bars, with its reads through a warm cache and with
 * SUPERNOVA_CACHE_READS=false (PostgreSQL each time), in rotating order over the rounds.
 */
export async function measureBarsArchive(o: BarsBenchOptions, cpu: CpuPlan, log: (line: string) => void): Promise<BarsBenchFigures> {
  const name = `snbench_bars_${randomUUID().slice(0, 8)}`;
  const admin = postgres(o.postgresAdminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(o.postgresAdminUrl);
  url.pathname = `/${name}`;
  try {
    const storedBars = await fill(url.toString(), o);
    const lifetime = (o.durationS + o.warmupS + 60) * 1000 * 2 * o.rounds + 120_000;
    const rounds: { cached: BarsLoad[]; uncached: BarsLoad[] } = { cached: [], uncached: [] };
    let found: { paths: string[]; bytes: number } | undefined;
    for (let round = 0; round < o.rounds; round++) {
      for (const cacheReads of round % 2 === 0 ? [true, false] : [false, true]) {
        const { child, port } = await startServer({ maxLifetimeMs: lifetime, databaseUrl: url.toString(), cacheReads }, cpu);
        try {
          found ??= await cursorPaths(port, o);
          if (o.warmupS > 0) await load(port, found.paths, o, o.warmupS);
          const r = await load(port, found.paths, o, o.durationS);
          rounds[cacheReads ? 'cached' : 'uncached'].push(r);
          log(`  round ${round + 1}/${o.rounds} ${cacheReads ? 'warm cache' : 'PostgreSQL each time'}: ${Math.round(r.requestsPerS).toLocaleString('en-US')} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ${r.errors} errors`);
        } finally {
          await stopServer(child);
        }
      }
    }
    const paired = rounds.cached.map((c, i) => c.requestsPerS / (rounds.uncached[i]?.requestsPerS ?? Number.NaN));
    return { storedBars, distinctQueries: found?.paths.length ?? 0, responseBytes: found?.bytes ?? 0, cached: medianOf(rounds.cached), uncached: medianOf(rounds.uncached), rounds, pairedRatio: median(paired) };
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end({ timeout: 1 });
  }
}
