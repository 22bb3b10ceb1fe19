import type { MlError } from '../../src/ml/errors.js';
import type { SentimentResult } from '../../src/ml/labels.js';

/** One distinct text waiting to be scored by one version; every caller asking for it meanwhile waits on it. */
export interface Job {
  /** The inference-cache key: version and hash of the text. */
  readonly key: string;
  readonly text: string;
  readonly version: string;
  /** performance.now() when it was queued, or queued again for its retry. */
  waitingSince: number;
  /** Times it was handed to a replica; a second failure is final. */
  sends: number;
  readonly waiters: { resolve(r: SentimentResult): void; reject(e: MlError): void }[];
}

/** Texts of one version scored in one call of the model, in one worker. */
export interface Batch {
  readonly version: string;
  readonly jobs: readonly Job[];
}
