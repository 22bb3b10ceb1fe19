import { describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MarketPipeline } from './market-pipeline.js';
import { TickIngest } from '../ingest/tick-ingest.js';
import { barInterval } from '../operators/bar-interval.js';
import type { ChannelPublisher } from '../ports.js';
import { BAR_ROW_BYTES, MARKET_MEMORY_BUDGET_BYTES, maxSymbolsWithin, SYMBOL_STATE_BYTES, symbolBytes } from './symbol-memory.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function used(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** A pipeline with 1s and 1m bars whose publications go nowhere: only its own state is measured. */
function measuredPipeline(historySize: number) {
  const publisher: ChannelPublisher = { publish: async () => {}, publishSync: () => undefined };
  const ingest: TickIngest = new TickIngest({ maxPending: 10, pending: () => 0, tickLimits: { minTs: 0 } });
  const pipeline = new MarketPipeline({
    feed: ingest,
    publisher,
    maxSymbols: 1_000_000,
    tickLimits: { minTs: 0 },
    bars: { intervals: [barInterval('1s'), barInterval('1m')], latenessMs: 0, historySize },
  });
  pipeline.start();
  return { ingest, pipeline };
}

const day = Date.UTC(2026, 0, 5, 14);
const symbolOf = (i: number) => `M${i.toString(36).toUpperCase()}`;

describe('what a symbol costs the market pipeline', () => {
  it('a symbol seen once stays within SYMBOL_STATE_BYTES, open bars and conflation windows included', async () => {
    const n = 10_000;
    const { ingest, pipeline } = measuredPipeline(1_440);
    ingest.push([{ symbol: 'WARM', price: 1, size: 1, ts: day }]);
    const before = used();
    const ticks = Array.from({ length: n }, (_, i) => ({ symbol: symbolOf(i), price: 10 + (i % 7), size: 5, ts: day }));
    for (let i = 0; i < n; i += 1_000) ingest.push(ticks.slice(i, i + 1_000));
    const live = (used() - before) / n;
    // Stopping closes every open bar into the bar store: one stored bar per interval and symbol.
    await pipeline.stop();
    const closed = (used() - before) / n;
    console.log(`a new symbol: ${live.toFixed(0)} bytes in the market pipeline, ${closed.toFixed(0)} once its bars closed (SYMBOL_STATE_BYTES ${SYMBOL_STATE_BYTES})`);
    expect(live).toBeLessThan(SYMBOL_STATE_BYTES);
    expect(closed).toBeLessThan(SYMBOL_STATE_BYTES);
  });

  it('a stored bar costs BAR_ROW_BYTES, so a full series costs its history size of them', async () => {
    const symbols = 100;
    const seconds = 1_440;
    const { ingest, pipeline } = measuredPipeline(seconds);
    const before = used();
    for (let s = 0; s < seconds; s++) {
      ingest.push(Array.from({ length: symbols }, (_, i) => ({ symbol: symbolOf(i), price: 10 + (s % 9), size: 5, ts: day + 1_000 * s })));
    }
    // Stopping closes the last open bars into the store; the state stays.
    await pipeline.stop();
    expect(pipeline.bars.size(symbolOf(0), '1s')).toBe(seconds);
    const perSymbol = (used() - before) / symbols;
    const bars = seconds + pipeline.bars.size(symbolOf(0), '1m');
    console.log(`a symbol with ${bars} stored bars: ${perSymbol.toFixed(0)} bytes`);
    expect(perSymbol).toBeGreaterThan(BAR_ROW_BYTES * seconds);
    // The 1m series holds 24 bars in rows grown to 32.
    expect(perSymbol).toBeLessThan(SYMBOL_STATE_BYTES + BAR_ROW_BYTES * (seconds + 32));
    // At most, with every interval's store full.
    expect(symbolBytes(2, seconds)).toBe(SYMBOL_STATE_BYTES + BAR_ROW_BYTES * 2 * seconds);
  });

  it('the default limit is the budget over the most a symbol costs', () => {
    expect(maxSymbolsWithin(MARKET_MEMORY_BUDGET_BYTES, 2, 1_440)).toBe(Math.floor(2 ** 30 / (4_096 + 72 * 1_440 * 2)));
    expect(maxSymbolsWithin(MARKET_MEMORY_BUDGET_BYTES, 2, 1_440)).toBe(5_077);
    expect(maxSymbolsWithin(1_000, 3, 100_000)).toBe(1);
  });
});
