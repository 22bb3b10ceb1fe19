import { describe, expect, it } from 'vitest';
import { MARKET_MEMORY_BUDGET_BYTES, maxSymbolsWithin, SYMBOL_STATE_BYTES } from './symbol-memory.js';
import { heapBytes, marketDay, measuredPipeline, settledHeapBytes, symbolOf } from './test-support.js';

// The stored-bar figure is measured in symbol-memory-bars.test.ts, a process of its own: this
// test's 10,000 symbols must not still be being freed while that one measures.
describe('what a symbol costs the market pipeline', () => {
  it('a symbol seen once stays within SYMBOL_STATE_BYTES, open bars and conflation windows included', async () => {
    const n = 10_000;
    const { ingest, pipeline } = measuredPipeline(1_440);
    ingest.push([{ symbol: 'WARM', price: 1, size: 1, ts: marketDay }]);
    const before = await settledHeapBytes();
    const ticks = Array.from({ length: n }, (_, i) => ({ symbol: symbolOf(i), price: 10 + (i % 7), size: 5, ts: marketDay }));
    for (let i = 0; i < n; i += 1_000) ingest.push(ticks.slice(i, i + 1_000));
    const live = (heapBytes() - before) / n;
    // Stopping closes every open bar into the bar store: one stored bar per interval and symbol.
    await pipeline.stop();
    const closed = (heapBytes() - before) / n;
    console.log(`a new symbol: ${live.toFixed(0)} bytes in the market pipeline, ${closed.toFixed(0)} once its bars closed (SYMBOL_STATE_BYTES ${SYMBOL_STATE_BYTES})`);
    expect(live).toBeLessThan(SYMBOL_STATE_BYTES);
    expect(closed).toBeLessThan(SYMBOL_STATE_BYTES);
  });

  it('the default limit is the budget over the most a symbol costs', () => {
    expect(maxSymbolsWithin(MARKET_MEMORY_BUDGET_BYTES, 2, 1_440)).toBe(Math.floor(2 ** 30 / (4_096 + 72 * 1_440 * 2)));
    expect(maxSymbolsWithin(MARKET_MEMORY_BUDGET_BYTES, 2, 1_440)).toBe(5_077);
    expect(maxSymbolsWithin(1_000, 3, 100_000)).toBe(1);
  });
});
