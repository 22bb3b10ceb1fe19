/**
 * Persistence benchmark: the same tick rows written four ways, each into a fresh database on the
 * same PostgreSQL, in one run, with rows/s and ratios against the two baselines.
 *
 *   npm run bench:persist -- [--rows 200000] [--single 10000] [--batch 5000] [--file ticks.csv.gz] [--url postgres://...]
 *
 * A measurement, not a test: it prints figures and checks nothing.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { Database, TickSink, type TickSinkMethod } from '../src/storage/index.js';
import { BatchWriter, TickSequencer, type Tick, type TickRow } from '../streams/index.js';
import { loadDayTicks } from './pipeline/day-ticks.js';

const HELP = `npm run bench:persist -- [options]

The same N tick rows (the SPY day of --file, in order, keyed as the engine keys them) written:
  (a) one INSERT ... ON CONFLICT DO NOTHING per row, awaited one by one (--single rows of them,
      the rate extrapolated to N: at a few thousand rows/s the full set would take minutes)
  (b) the batch writer with the tick sink's multi-row INSERT (as bars are written)
  (c) the batch writer with the tick sink's COPY (what SUPERNOVA_STORE_TICKS uses), then the same
      rows again into the same table (every batch conflicts: the staging-table path)
  (d) psql's \\copy of the same rows from a CSV file (one COPY, no conflict handling)
each into a database of its own on --url's server (created and dropped here).

  --rows N       rows (default 200000; the day has 250,601 ticks, more repeat it a day later)
  --single N     rows of (a) (default 10000)
  --batch N      rows per batch of (b) and (c) (default 5000, SUPERNOVA_PERSIST_TICKS_BATCH_MAX's default)
  --file PATH    tick CSV (default ../shared/data/market/spy-2013-10-07/ticks.csv.gz)
  --url URL      a superuser on the server (default postgres://postgres@127.0.0.1:5432/postgres)
`;

const DAY_MS = 86_400_000;

export interface Result {
  name: string;
  rows: number;
  seconds: number;
  rate: number;
  /** CPU seconds of this process and of the server's processes (all of PostgreSQL's: the backend, the WAL writer, ...). */
  nodeCpu: number;
  serverCpu: number;
  note?: string;
}

/** CPU seconds used so far by every process named postgres (the server is shared: other work on it counts too). */
function serverCpuSeconds(): number {
  const tick = 100; // USER_HZ on Linux
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      if (!stat.slice(stat.indexOf('(') + 1, close).startsWith('postgres')) continue;
      const fields = stat.slice(close + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / tick;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

async function measured(name: string, rows: number, run: () => Promise<void>, note?: string): Promise<Result> {
  const cpu0 = process.cpuUsage();
  const server0 = serverCpuSeconds();
  const t0 = performance.now();
  await run();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { name, rows, seconds, rate: rows / seconds, nodeCpu: (cpu.user + cpu.system) / 1e6, serverCpu: serverCpuSeconds() - server0, ...(note ? { note } : {}) };
}

/** A fresh database with the engine's schema, and a way to drop it. */
async function freshDatabase(admin: postgres.Sql, adminUrl: string, label: string): Promise<{ url: string; db: Database; drop(): Promise<void> }> {
  const name = `snbench_persist_${label}_${randomUUID().slice(0, 8)}`;
  await admin.unsafe(`create database ${name}`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const db = new Database({ url: u.toString(), poolSize: 2 });
  await db.start();
  return {
    url: u.toString(), db,
    async drop() {
      await db.stop().catch(() => {});
      await admin.unsafe(`drop database if exists ${name} with (force)`);
    },
  };
}

async function count(db: Database): Promise<number> {
  const [row] = await db.query('bench.count', (sql) => sql<{ n: number }[]>`select count(*)::int as n from ticks`);
  return row?.n ?? -1;
}

async function throughWriter(db: Database, method: TickSinkMethod, rows: readonly TickRow[], batch: number): Promise<void> {
  const writer = new BatchWriter<TickRow>({ sink: new TickSink(db, method), maxBatch: batch, flushMs: 5, maxBuffered: rows.length });
  for (const r of rows) writer.push(r);
  // Drained before stop(): stop(timeout) leaves a timer of the whole timeout behind when it has to
  // wait, which would keep this process alive that long after the last figure.
  while (writer.stats().written < rows.length) await new Promise((r) => setTimeout(r, 1));
  const left = await writer.stop(1_000);
  if (left > 0) throw new Error(`${left} rows left unwritten`);
}

function tickRows(ticks: readonly Tick[], n: number): TickRow[] {
  const seq = new TickSequencer();
  const out: TickRow[] = [];
  for (let day = 0; out.length < n; day++) {
    for (const t of ticks) {
      if (out.length >= n) break;
      out.push(seq.row({ ...t, ts: t.ts + day * DAY_MS }));
    }
  }
  return out;
}

const fmt = (v: number, digits = 0) => v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export interface PersistBenchOptions {
  /** Rows written by (b), (c) and (d). */
  rows: number;
  /** Rows of (a), the single-row baseline (its rate is extrapolated). */
  single: number;
  batch: number;
  /** Tick CSV the rows come from. */
  file: string;
  /** A superuser URL of the server: a fresh database per method is created and dropped there. */
  url: string;
}

export interface PersistBenchFigures {
  results: Result[];
  version: string;
  sync: string;
}

/** The four ways, in one run; `results` is (a), (b), (c), (c'), (d) in that order. */
export async function measurePersistence(o: PersistBenchOptions, log: (line: string) => void): Promise<PersistBenchFigures> {
  const rows = tickRows(await loadDayTicks(o.file), o.rows);
  const admin = postgres(o.url, { max: 1, onnotice: () => {} });
  const [{ version } = { version: '?' }] = await admin<{ version: string }[]>`select version()`;
  const [{ sync } = { sync: '?' }] = await admin<{ sync: string }[]>`select current_setting('synchronous_commit') as sync`;
  log(`${fmt(o.rows)} rows (${o.file}), batches of ${fmt(o.batch)}; ${version.split(' on ')[0]}, synchronous_commit=${sync}`);
  const results: Result[] = [];
  const dir = join(tmpdir(), `snbench-persist-${randomUUID().slice(0, 8)}`);
  mkdirSync(dir);
  try {
    {
      const f = await freshDatabase(admin, o.url, 'single');
      try {
        const sample = rows.slice(0, o.single);
        const r = await measured('(a) single-row INSERT', sample.length, async () => {
          for (const t of sample) {
            await f.db.query('bench.single', (sql) => sql`insert into ticks (symbol, ts_ms, seq, price, size) values (${t.symbol}, ${t.ts}, ${t.seq}, ${t.price}, ${t.size}) on conflict do nothing`);
          }
        }, `${fmt(o.single)} of the ${fmt(o.rows)} rows; the rate is extrapolated`);
        if ((await count(f.db)) !== sample.length) throw new Error('(a) stored a different number of rows');
        results.push(r);
      } finally {
        await f.drop();
      }
    }
    {
      const f = await freshDatabase(admin, o.url, 'insert');
      try {
        results.push(await measured('(b) batch writer, multi-row INSERT', o.rows, () => throughWriter(f.db, 'insert', rows, o.batch)));
        if ((await count(f.db)) !== o.rows) throw new Error('(b) stored a different number of rows');
      } finally {
        await f.drop();
      }
    }
    {
      const f = await freshDatabase(admin, o.url, 'copy');
      try {
        results.push(await measured('(c) batch writer, COPY', o.rows, () => throughWriter(f.db, 'copy', rows, o.batch)));
        results.push(await measured('(c\') the same rows again (all conflict: staging + merge)', o.rows, () => throughWriter(f.db, 'copy', rows, o.batch)));
        if ((await count(f.db)) !== o.rows) throw new Error('(c) stored a different number of rows');
      } finally {
        await f.drop();
      }
    }
    {
      const csv = join(dir, 'ticks.csv');
      // Written before the clock starts: (d) times psql and the server, not making the file.
      writeFileSync(csv, rows.map((r) => `${r.symbol},${r.ts},${r.seq},${r.price},${r.size}`).join('\n') + '\n');
      const f = await freshDatabase(admin, o.url, 'psql');
      try {
        await f.db.stop();
        results.push(await measured('(d) psql \\copy from CSV', o.rows, async () => {
          const res = spawnSync('psql', [f.url, '-v', 'ON_ERROR_STOP=1', '-q', '-c', `\\copy ticks (symbol, ts_ms, seq, price, size) from '${csv}' with (format csv)`], { encoding: 'utf8' });
          if (res.status !== 0) throw new Error(`psql failed (${res.status}): ${res.stderr || res.error?.message}`);
        }, 'psql\'s own CPU is not in "node CPU"'));
        const check = postgres(f.url, { max: 1, onnotice: () => {} });
        const [{ c } = { c: -1 }] = await check<{ c: number }[]>`select count(*)::int as c from ticks`;
        await check.end();
        if (c !== o.rows) throw new Error(`(d) stored ${c} rows`);
      } finally {
        await f.drop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await admin.end();
  }

  return { results, version, sync };
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        rows: { type: 'string', default: '200000' },
        single: { type: 'string', default: '10000' },
        batch: { type: 'string', default: '5000' },
        file: { type: 'string', default: '../shared/data/market/spy-2013-10-07/ticks.csv.gz' },
        url: { type: 'string', default: process.env.SUPERNOVA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const n = Number(values.rows);
  const singleN = Math.min(n, Number(values.single));
  const batch = Number(values.batch);
  if (![n, singleN, batch].every((v) => Number.isInteger(v) && v > 0)) {
    process.stderr.write(`--rows, --single and --batch are positive integers\n\n${HELP}`);
    return 2;
  }
  const { results, version, sync } = await measurePersistence({ rows: n, single: singleN, batch, file: values.file, url: values.url }, (line) => process.stdout.write(`${line}\n`));
  const single = results[0] as Result;
  const psql = results.at(-1) as Result;
  const lines = [
    `| method | rows | seconds | rows/s | x single-row | x psql \\copy | node CPU s | server CPU s |`,
    '|---|---|---|---|---|---|---|---|',
    ...results.map((r) => `| ${r.name}${r.note ? ` (${r.note})` : ''} | ${fmt(r.rows)} | ${fmt(r.seconds, 2)} | ${fmt(r.rate)} | ${fmt(r.rate / single.rate, 1)} | ${fmt(r.rate / psql.rate, 2)} | ${fmt(r.nodeCpu, 2)} | ${fmt(r.serverCpu, 2)} |`),
  ];
  const copy = results.find((r) => r.name.startsWith('(c) ')) as Result;
  const targets = [
    `COPY path ${fmt(copy.rate)} rows/s: ${copy.rate >= 100_000 ? 'meets' : 'misses'} >= 100,000 rows/s`,
    `COPY / single-row ${fmt(copy.rate / single.rate, 1)}x: ${copy.rate / single.rate >= 20 ? 'meets' : 'misses'} >= 20x`,
    `COPY / psql \\copy ${fmt(copy.rate / psql.rate, 2)}x: ${copy.rate / psql.rate >= 0.5 ? 'meets' : 'misses'} >= 0.5x`,
  ];
  process.stdout.write(`\n${lines.join('\n')}\n\n${targets.join('\n')}\n`);
  mkdirSync('bench/results', { recursive: true });
  const out = `bench/results/persistence-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(out, JSON.stringify({ rows: n, batch, version, synchronousCommit: sync, results }, null, 2));
  process.stdout.write(`\n${out}\n`);
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = await main();
