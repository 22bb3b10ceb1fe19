import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchWriter, type RowSink } from './batch-writer.js';
import { SpillBudget } from './spill-budget.js';
import { SpillFile } from './spill-file.js';
import { encodeRecord } from './spill-record.js';

const quiet = { warn: () => {}, error: () => {} };
const isNumber = (r: unknown): r is number => typeof r === 'number';

/** A table keyed like the real ones, that can be taken down and brought back; `log` is every row written, in order, twice if written twice. */
function table(): RowSink<number> & { rows: number[]; log: number[]; down: boolean; hang: boolean } {
  const seen = new Set<number>();
  const t = {
    rows: [] as number[],
    log: [] as number[],
    down: false,
    hang: false,
    async write(batch: readonly number[]) {
      if (t.hang) await new Promise(() => {});
      if (t.down) throw new Error('database down');
      t.log.push(...batch);
      for (const r of batch) if (!seen.has(r)) { seen.add(r); t.rows.push(r); }
    },
  };
  return t;
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function spillFile(dir?: string, maxBytes = 1 << 30): { file: SpillFile<number>; dir: string } {
  const d = dir ?? mkdtempSync(join(tmpdir(), 'writer-spill-'));
  if (!dir) dirs.push(d);
  return { dir: d, file: new SpillFile<number>({ dir: d, table: 'n', budget: new SpillBudget(maxBytes), segmentBytes: 2048, isRow: isNumber, log: quiet, setting: 'SUPERNOVA_SPILL_DIR' }) };
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
const until = async (ok: () => boolean, what: string, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};
const increasing = (xs: number[]) => xs.every((x, i) => i === 0 || x > (xs[i - 1] as number));

describe('BatchWriter with a spill', () => {
  it('spills while the sink fails, then writes the spill before newer rows: every row once, in order', async () => {
    const sink = table();
    const { file } = spillFile();
    const w = new BatchWriter({ sink, maxBatch: 10, flushMs: 5, maxBuffered: 100, retryBaseMs: 5, retryMaxMs: 20, spill: { file, afterRows: 0 } });
    await w.start();
    for (const r of range(0, 15)) w.push(r);
    await until(() => sink.rows.length === 15, 'the first rows');
    sink.down = true;
    // Far more than memory may hold: only the spill makes room.
    for (const r of range(15, 400)) {
      // Paced by the memory bound, not by the clock: a slow disk (fdatasync) under load only slows this down.
      if (w.stats().buffered >= 90) await until(() => w.stats().buffered < 50, 'the spill to take rows');
      expect(w.push(r)).toBe(true);
      if (r % 10 === 0) await new Promise((res) => setTimeout(res, 1));
    }
    await until(() => (w.stats().spill?.spilledRows ?? 0) >= 390, 'rows on disk');
    expect(w.stats().buffered).toBeLessThan(100);
    expect(w.stats().spill?.bytes).toBeGreaterThan(0);
    sink.down = false;
    // Rows pushed while the spill drains go behind it.
    for (const r of range(415, 50)) w.push(r);
    await until(() => sink.rows.length === 465, 'every row');
    expect(sink.rows).toEqual(range(0, 465));
    expect(increasing(sink.log)).toBe(true);
    await until(() => w.stats().spill?.segments === 0, 'the spill to drain');
    expect(w.stats().spill).toMatchObject({ bytes: 0, drainedRows: w.stats().spill?.spilledRows, corruptRecords: 0 });
    expect(await w.stop()).toBe(0);
    expect(w.stats().refused).toBe(0);
  });

  it('while the spill drains, newer rows wait in memory behind it, and past half of maxBuffered join it on disk', async () => {
    const sink = table();
    sink.down = true;
    const { file } = spillFile();
    const w = new BatchWriter({ sink, maxBatch: 10, flushMs: 5, maxBuffered: 100, retryBaseMs: 5, retryMaxMs: 10, spill: { file, afterRows: 0 } });
    await w.start();
    for (const r of range(0, 40)) w.push(r);
    await until(() => w.stats().spill?.spilledRows === 40, 'the rows on disk');
    // The sink is back but answers one write at a time, when let.
    const waiting: (() => void)[] = [];
    const write = sink.write.bind(sink);
    sink.write = async (batch) => {
      await new Promise<void>((r) => waiting.push(r));
      return write(batch);
    };
    sink.down = false;
    await until(() => waiting.length === 1, 'a write from the spill');
    for (const r of range(40, 30)) w.push(r);
    (waiting.shift() as () => void)();
    await until(() => waiting.length === 1, 'the next write');
    expect(w.stats()).toMatchObject({ buffered: 30, spill: { spilledRows: 40 } });
    for (const r of range(70, 30)) w.push(r);
    (waiting.shift() as () => void)();
    await until(() => waiting.length === 1, 'the next write');
    // 60 in memory, 50 may stay: the 10 oldest went to disk, behind what was there.
    expect(w.stats()).toMatchObject({ buffered: 50, spill: { spilledRows: 50 } });
    const release = setInterval(() => waiting.shift()?.(), 1);
    try {
      await until(() => sink.rows.length === 100, 'every row');
    } finally {
      clearInterval(release);
    }
    expect(sink.rows).toEqual(range(0, 100));
    expect(increasing(sink.log)).toBe(true);
    await w.stop();
  });

  it('keeps the newest afterRows rows in memory and spills the older ones', async () => {
    const sink = table();
    sink.down = true;
    const { file } = spillFile();
    const w = new BatchWriter({ sink, maxBatch: 10, flushMs: 5, maxBuffered: 1_000, retryBaseMs: 5, retryMaxMs: 10, spill: { file, afterRows: 30 } });
    await w.start();
    for (const r of range(0, 100)) w.push(r);
    await until(() => w.stats().spill?.spilledRows === 70, 'the older rows on disk');
    expect(w.stats().buffered).toBe(30);
    sink.down = false;
    await until(() => sink.rows.length === 100, 'every row');
    expect(increasing(sink.log)).toBe(true);
    await w.stop();
  });

  it('a stop while the sink is down spills what is unwritten; the next run writes it first', async () => {
    const sink = table();
    sink.down = true;
    const { file, dir } = spillFile();
    const w = new BatchWriter({ sink, maxBatch: 10, flushMs: 1_000, maxBuffered: 1_000, retryBaseMs: 5, retryMaxMs: 10, spill: { file, afterRows: 500 } });
    await w.start();
    for (const r of range(0, 123)) w.push(r);
    await until(() => w.stats().retries > 0, 'a failed write');
    const started = Date.now();
    // Nothing is lost, and a failing sink is not waited for.
    expect(await w.stop(5_000)).toBe(0);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(w.stats().spill?.spilledRows).toBe(123);
    expect(w.push(999)).toBe(false);
    // The next run, on the same directory, with the database back.
    const again = table();
    const next = new BatchWriter({ sink: again, maxBatch: 10, flushMs: 5, maxBuffered: 1_000, spill: { file: spillFile(dir).file, afterRows: 0 } });
    await next.start();
    for (const r of range(123, 7)) next.push(r);
    await until(() => again.rows.length === 130, 'every row');
    expect(again.rows).toEqual(range(0, 130));
    expect(increasing(again.log)).toBe(true);
    expect(await next.stop()).toBe(0);
    expect(readdirSync(join(dir)).filter((n) => n.endsWith('.seg'))).toEqual([]);
  });

  it('a write that never answers does not hold stop(): the rows are spilled', async () => {
    const sink = table();
    sink.hang = true;
    const { file } = spillFile();
    const w = new BatchWriter({ sink, maxBatch: 10, flushMs: 5, maxBuffered: 1_000, spill: { file, afterRows: 0 } });
    await w.start();
    for (const r of range(0, 25)) w.push(r);
    expect(await w.stop(100)).toBe(0);
    expect(w.stats().spill?.spilledRows).toBe(25);
  });

  it('a full spill keeps rows in memory, then refuses them past maxBuffered, counted; all accepted rows are written once the sink is back', async () => {
    const sink = table();
    sink.down = true;
    // Room for three records of ten rows.
    const { file } = spillFile(undefined, encodeRecord(range(0, 10)).length * 3 + 5);
    const w = new BatchWriter({ sink, maxBatch: 10, flushMs: 5, maxBuffered: 40, retryBaseMs: 5, retryMaxMs: 10, spill: { file, afterRows: 0 } });
    await w.start();
    const accepted: number[] = [];
    for (const r of range(0, 200)) {
      if (w.push(r)) accepted.push(r);
      await new Promise((res) => setTimeout(res, 1));
    }
    await until(() => w.stats().spill?.full === 'budget', 'the spill to refuse');
    const s = w.stats();
    expect(s.spill?.full).toBe('budget');
    expect(s.spill?.refusals.budget).toBeGreaterThan(0);
    expect(s.spill?.spilledRows).toBeLessThanOrEqual(30);
    expect(s.buffered).toBe(40);
    expect(s.refused).toBe(200 - accepted.length);
    expect(accepted.length).toBe((s.spill?.spilledRows ?? 0) + 40);
    sink.down = false;
    await until(() => sink.rows.length === accepted.length, 'every accepted row');
    expect(sink.rows).toEqual(accepted);
    expect(increasing(sink.log)).toBe(true);
    await w.stop();
  });
});
