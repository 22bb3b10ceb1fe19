/** The sentiment model did not load at engine start; the message names the settings to check, `cause` is the model's error. */
export class SentimentStartError extends Error {
  readonly code = 'SENTIMENT_MODEL_NOT_LOADED' as const;
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'SentimentStartError';
  }
}
