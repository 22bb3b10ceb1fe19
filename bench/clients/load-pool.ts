import type { OpenSpec, Timebase, WorkerSnapshot, WorkerStatus } from '../shared/worker-protocol.js';

/** The subscribers of one load process, whatever protocol they speak. */
export interface LoadPool {
  start(spec: OpenSpec): void;
  status(): WorkerStatus;
  /** Zeroes the message counters and the histogram (between phases). */
  reset(): void;
  snapshot(withHistogram: boolean): WorkerSnapshot;
  /** Reads `ts` as event time from now on (see Timebase); null goes back to publish stamps. */
  setTimebase(timebase: Timebase | null): void;
  stop(graceMs: number): Promise<void>;
}
