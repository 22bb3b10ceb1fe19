import { describe, expect, it } from 'vitest';
import { BAR_ROW_BYTES, SYMBOL_STATE_BYTES, symbolBytes } from './symbol-memory.js';
import { heapBytes, marketDay, measuredPipeline, settledHeapBytes, symbolOf } from './test-support.js';

async function warmUp(seconds: number): Promise<void> {
  const { ingest, pipeline } = measuredPipeline(seconds);
  for (let s = 0; s < 200; s++) {
    ingest.push(Array.from({ length: 10 }, (_, i) => ({ symbol: `W${i}`, price: 10 + (s % 9), size: 5, ts: marketDay + 1_000 * s })));
  }
  await pipeline.stop();
}

describe('what stored bars cost the market pipeline', () => {
  it('a stored bar costs BAR_ROW_BYTES, so a full series costs its history size of them', async () => {
    // Enough that the process's own drift (a few hundred KB) is small beside the bars' 40 MB.
    const symbols = 400;
    const seconds = 1_440;
    // The pipeline's code runs once first, so that what it compiles is not counted as bars.
    await warmUp(seconds);
    const { ingest, pipeline } = measuredPipeline(seconds);
    const before = await settledHeapBytes();
    for (let s = 0; s < seconds; s++) {
      ingest.push(Array.from({ length: symbols }, (_, i) => ({ symbol: symbolOf(i), price: 10 + (s % 9), size: 5, ts: marketDay + 1_000 * s })));
    }
    // Stopping closes the last open bars into the store; the state stays.
    await pipeline.stop();
    expect(pipeline.bars.size(symbolOf(0), '1s')).toBe(seconds);
    const perSymbol = (heapBytes() - before) / symbols;
    const bars = seconds + pipeline.bars.size(symbolOf(0), '1m');
    console.log(`a symbol with ${bars} stored bars: ${perSymbol.toFixed(0)} bytes`);
    expect(perSymbol).toBeGreaterThan(BAR_ROW_BYTES * seconds);
    // The 1m series holds 24 bars in rows grown to 32.
    expect(perSymbol).toBeLessThan(SYMBOL_STATE_BYTES + BAR_ROW_BYTES * (seconds + 32));
    // At most, with every interval's store full.
    expect(symbolBytes(2, seconds)).toBe(SYMBOL_STATE_BYTES + BAR_ROW_BYTES * 2 * seconds);
  });
});
