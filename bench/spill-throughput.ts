/**
 * Spill throughput: bar rows appended to a SpillFile (msgpack, framing, CRC32, one fdatasync per
 * append of 500 rows) and read back (peek/shift), each against a baseline in the same run: the
 * same bytes written raw with the same syncs, and read raw. With a PostgreSQL (argument or
 * postgres://postgres@127.0.0.1:5432/postgres) also the drain: rows from the spill into `bars`
 * through the BatchWriter, against the same rows written from memory.
 *
 *   npx tsx bench/spill-throughput.ts [rows] [postgres-admin-url]
 *
 * A measurement, not a test: it prints figures and checks nothing.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { BatchWriter, SpillBudget, SpillFile, type Bar } from '../streams/index.js';
import { barSink, Database, isBarRow } from '../src/storage/index.js';
import { encodeRecord } from '../streams/persistence/spill-record.js';

const ROWS = Number(process.argv[2] ?? 100_000);
const ADMIN = process.argv[3] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PER_APPEND = 500;
const quiet = { warn: () => {}, error: () => {} };

const bars: Bar[] = Array.from({ length: ROWS }, (_, i) => ({
  symbol: `S${i % 50}`, interval: '1s', start: 1_381_132_800_000 + Math.floor(i / 50) * 1000, end: 1_381_132_801_000 + Math.floor(i / 50) * 1000,
  open: 167.41 + (i % 13) / 100, high: 167.5, low: 167.2, close: 167.3 + (i % 7) / 100, volume: 100 + i, vwap: 167.3512, trades: 1 + (i % 40), final: true,
}));
const chunks = Array.from({ length: Math.ceil(ROWS / PER_APPEND) }, (_, k) => bars.slice(k * PER_APPEND, (k + 1) * PER_APPEND));
const rate = (n: number, ms: number) => `${Math.round(n / (ms / 1000)).toLocaleString('en-US')} rows/s`;
const spillFile = (dir: string) => new SpillFile<Bar>({ dir, table: 'bars', budget: new SpillBudget(2 ** 40), segmentBytes: 64 * 1024 * 1024, isRow: isBarRow, log: quiet, setting: 'dir' });

const root = mkdtempSync(join(tmpdir(), 'spill-bench-'));
try {
  // Baseline: the same record bytes, written raw with one sync per append.
  const records = chunks.map((c) => encodeRecord(c));
  const raw = await open(join(root, 'raw'), 'w');
  let t = performance.now();
  let pos = 0;
  for (const r of records) {
    await raw.write(r, 0, r.length, pos);
    pos += r.length;
    await raw.datasync();
  }
  const rawWriteMs = performance.now() - t;
  await raw.close();

  const dir = join(root, 'spill');
  let spill = spillFile(dir);
  await spill.start();
  t = performance.now();
  for (const c of chunks) if (!(await spill.append(c, PER_APPEND))) throw new Error('append refused');
  const appendMs = performance.now() - t;
  const bytes = spill.stats().bytes;
  await spill.stop();

  t = performance.now();
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.seg'))) readFileSync(join(dir, name));
  const rawReadMs = performance.now() - t;

  // Read back without deleting: a copy of the directory would be read from the page cache all the same.
  spill = spillFile(dir);
  await spill.start();
  t = performance.now();
  let read = 0;
  for (let b = await spill.peek(); b; b = await spill.peek()) {
    read += b.length;
    await spill.shift();
  }
  const readMs = performance.now() - t;
  await spill.stop();

  console.log(`${ROWS} bar rows, ${(bytes / ROWS).toFixed(1)} bytes each on disk, appends of ${PER_APPEND}`);
  console.log(`spill append (encode + frame + write + fdatasync): ${rate(ROWS, appendMs)}; raw write + fdatasync of the same bytes: ${rate(ROWS, rawWriteMs)}; ratio ${(appendMs / rawWriteMs).toFixed(2)}x the time`);
  console.log(`spill read (read + CRC + decode + check), ${read} rows: ${rate(read, readMs)}; raw read of the files: ${rate(ROWS, rawReadMs)}; ratio ${(readMs / rawReadMs).toFixed(2)}x the time`);

  const admin = postgres(ADMIN, { max: 1, onnotice: () => {}, connect_timeout: 2 });
  const name = `spill_bench_${process.pid}`;
  try {
    await admin.unsafe(`create database ${name}`);
  } catch (err) {
    console.log(`no PostgreSQL at ${ADMIN} (${(err as Error).message}): drain not measured`);
    await admin.end();
    process.exit(0);
  }
  const url = new URL(ADMIN);
  url.pathname = `/${name}`;
  const db = new Database({ url: url.toString(), poolSize: 4 });
  try {
    await db.start();
    // Baseline: every row pushed from memory, written in batches of 500.
    const direct = new BatchWriter<Bar>({ sink: barSink(db), maxBatch: PER_APPEND, flushMs: 10, maxBuffered: ROWS });
    t = performance.now();
    for (const b of bars) direct.push(b);
    await direct.stop(600_000);
    const directMs = performance.now() - t;
    await db.sql`truncate bars`;

    // The spill of the run before, drained at start.
    const refill = spillFile(join(root, 'drain'));
    await refill.start();
    for (const c of chunks) await refill.append(c, PER_APPEND);
    await refill.stop();
    const file = spillFile(join(root, 'drain'));
    const drain = new BatchWriter<Bar>({ sink: barSink(db), maxBatch: PER_APPEND, flushMs: 10, maxBuffered: ROWS, spill: { file, afterRows: 0 } });
    t = performance.now();
    await drain.start();
    await drain.stop(600_000);
    const drainMs = performance.now() - t;
    const [{ n } = { n: 0 }] = await db.sql<{ n: number }[]>`select count(*)::int as n from bars`;
    console.log(`into PostgreSQL: drained from the spill ${rate(n, drainMs)} (${n} rows stored); written from memory ${rate(ROWS, directMs)}; ratio ${(drainMs / directMs).toFixed(2)}x the time`);
  } finally {
    await db.stop();
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
