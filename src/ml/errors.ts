/** Stable codes of machine-learning failures. */
export type MlErrorCode =
  | 'BACKEND_UNAVAILABLE'
  | 'MODEL_FILES_INVALID'
  | 'MODEL_NOT_LOADED'
  | 'INPUT_INVALID'
  | 'DATA_INVALID'
  | 'STOPPED';

/** A failure of the sentiment model or its backend; a foreign error (tfjs, fs) is its `cause`. */
export class MlError extends Error {
  constructor(readonly code: MlErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MlError';
  }
}
