import { describe, expect, it } from 'vitest';
import { BatchWriter, type RowSink } from './batch-writer.js';

/** A table in memory keyed like the real ones: writing a row twice keeps one. */
function table(failFirst = 0): RowSink<number> & { rows: number[]; writes: number } {
  const seen = new Set<number>();
  const t = {
    rows: [] as number[],
    writes: 0,
    async write(batch: readonly number[]) {
      t.writes++;
      if (t.writes <= failFirst) throw new Error('database down');
      for (const r of batch) if (!seen.has(r)) { seen.add(r); t.rows.push(r); }
    },
  };
  return t;
}

describe('BatchWriter', () => {
  it('writes in batches of at most maxBatch, in order', async () => {
    const sink = table();
    const w = new BatchWriter({ sink, maxBatch: 10, flushMs: 5, maxBuffered: 1000 });
    for (let i = 0; i < 95; i++) w.push(i);
    expect(await w.stop()).toBe(0);
    expect(sink.rows).toEqual(Array.from({ length: 95 }, (_, i) => i));
    expect(w.stats()).toMatchObject({ written: 95, batches: 10, buffered: 0, refused: 0 });
  });

  it('keeps failed batches and retries them until the sink answers: nothing lost, nothing twice', async () => {
    const sink = table(4);
    const errors: number[] = [];
    const w = new BatchWriter({ sink, maxBatch: 8, flushMs: 1, maxBuffered: 1000, retryBaseMs: 2, retryMaxMs: 5, onError: (_e, attempt) => errors.push(attempt) });
    for (let i = 0; i < 30; i++) w.push(i);
    expect(await w.stop(2_000)).toBe(0);
    expect(sink.rows).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(errors).toEqual([0, 1, 2, 3]);
    expect(w.stats().retries).toBe(4);
  });

  it('refuses past maxBuffered, counts it, and says at stop what it could not write', async () => {
    const sink = table(Number.POSITIVE_INFINITY);
    const w = new BatchWriter({ sink, maxBatch: 5, flushMs: 1, maxBuffered: 20, retryBaseMs: 1, retryMaxMs: 2 });
    const accepted = Array.from({ length: 25 }, (_, i) => w.push(i)).filter(Boolean).length;
    expect(accepted).toBe(20);
    expect(w.stats().refused).toBe(5);
    expect(await w.stop(50)).toBe(20);
  });
});
