import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MarketPipeline } from './market-pipeline.js';
import { TickIngest } from '../ingest/tick-ingest.js';
import { barInterval } from '../operators/bar-interval.js';
import type { ChannelPublisher } from '../ports.js';

/** A pipeline with 1s and 1m bars whose publications go nowhere: only its own state is measured. */
export function measuredPipeline(historySize: number): { ingest: TickIngest; pipeline: MarketPipeline } {
  const publisher: ChannelPublisher = { publish: async () => {}, publishSync: () => undefined };
  const ingest = new TickIngest({ maxPending: 10, pending: () => 0, tickLimits: { minTs: 0 } });
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

export const marketDay = Date.UTC(2026, 0, 5, 14);
export const symbolOf = (i: number): string => `M${i.toString(36).toUpperCase()}`;

setFlagsFromString('--expose-gc');
// V8 drops the bytecode of functions left unused for a few full collections: start-up code of the
// test process could be freed in the middle of a measurement, which would then read low.
setFlagsFromString('--no-flush-bytecode');
const gc = runInNewContext('gc') as () => void;

/** Bytes in use (JS heap and array buffers) after a full collection, at once. */
export function heapBytes(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/**
 * Bytes in use (JS heap and array buffers) once what is unreachable has been collected. Garbage
 * a collection cannot reach yet (a callback of the previous test still queued, a promise chain
 * settling) would be freed in the middle of a measurement and could even make it negative, so
 * the reading is repeated, a turn of the event loop apart, until two agree within `toleranceBytes`.
 */
export async function settledHeapBytes(toleranceBytes = 256 * 1024): Promise<number> {
  let last = Number.NaN;
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    const now = heapBytes();
    if (Math.abs(now - last) <= toleranceBytes) return now;
    last = now;
  }
  return last;
}
