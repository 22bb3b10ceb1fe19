/** Stable codes of machine-learning failures. */
export type MlErrorCode =
  | 'BACKEND_UNAVAILABLE'
  | 'MODEL_FILES_INVALID'
  | 'MODEL_NOT_LOADED'
  | 'INPUT_INVALID'
  | 'DATA_INVALID'
  | 'STOPPED'
  /** More texts waiting than the replicas' queue holds (SUPERNOVA_ML_MAX_QUEUED). */
  | 'OVERLOADED'
  /** Texts not scored within SUPERNOVA_ML_TIMEOUT_MS of being queued. */
  | 'TIMEOUT'
  /** A worker thread died or hung scoring the texts, and so did the retry. */
  | 'REPLICA_FAILED';

/** A failure of the sentiment model or its backend; a foreign error (tfjs, fs) is its `cause`. */
export class MlError extends Error {
  constructor(readonly code: MlErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MlError';
  }
}
