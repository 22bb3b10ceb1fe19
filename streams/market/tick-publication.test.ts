import { describe, expect, it } from 'vitest';
import { MAX_TRADES_PER_PUBLICATION, TickColumnsWriter } from './tick-publication.js';

const trade = (i: number) => ({ symbol: 'A', price: 100 + i / 100, size: i + 1, ts: 1_700_000_000_000 + i });

describe('TickColumnsWriter', () => {
  it('grows from one trade of room, and splits into publications of at most MAX_TRADES_PER_PUBLICATION, in order', () => {
    const writer = new TickColumnsWriter(1);
    const n = 2 * MAX_TRADES_PER_PUBLICATION + 500;
    for (let i = 0; i < n; i++) writer.add(trade(i));
    const publications = writer.publications();
    expect(publications.map((p) => p.length)).toEqual([MAX_TRADES_PER_PUBLICATION, MAX_TRADES_PER_PUBLICATION, 500]);
    const all = publications.flatMap((p) => Array.from(p.ts, (ts, i) => ({ price: p.price[i], size: p.size[i], ts })));
    expect(all).toEqual(Array.from({ length: n }, (_, i) => ({ price: trade(i).price, size: trade(i).size, ts: trade(i).ts })));
  });

  it('copies trades that fill less than half their room to their size, since history keeps the buffer', () => {
    const writer = new TickColumnsWriter(1_000);
    for (let i = 0; i < 10; i++) writer.add(trade(i));
    const [publication] = writer.publications();
    expect(publication?.price.buffer.byteLength).toBe(3 * 10 * 8);
    expect(Array.from(publication?.size ?? [])).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  });

  it('goes on the wire as plain number arrays', () => {
    const writer = new TickColumnsWriter(2);
    writer.add(trade(0));
    writer.add(trade(1));
    const [publication] = writer.publications();
    expect(JSON.parse(JSON.stringify(publication))).toEqual({ price: [100, 100.01], size: [1, 2], ts: [1_700_000_000_000, 1_700_000_000_001] });
  });
});
