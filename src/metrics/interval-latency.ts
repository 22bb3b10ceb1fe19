import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import type { LatencySummary } from '../../streams/index.js';

/**
 * Latencies of the current interval, read and reset once per snapshot. Node's native HDR
 * histogram (perf_hooks.createHistogram) in microseconds: recording is O(1), memory is fixed
 * whatever the command rate, and percentiles are within its precision (3 significant digits).
 * A sliding window of samples would need a cap (dropping samples under load) and a sort per read.
 */
export class IntervalLatency {
  private readonly histogram: RecordableHistogram = createHistogram();

  record(seconds: number): void {
    // The histogram takes positive integers: sub-microsecond latencies count as 1 µs.
    this.histogram.record(Math.max(1, Math.round(seconds * 1e6)));
  }

  /** The interval's summary; starts the next interval. */
  take(): LatencySummary {
    const h = this.histogram;
    const count = h.count;
    const summary = count === 0 ? { count: 0, p50Ms: 0, p99Ms: 0 } : { count, p50Ms: h.percentile(50) / 1000, p99Ms: h.percentile(99) / 1000 };
    h.reset();
    return summary;
  }
}
