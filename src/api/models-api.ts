import { configEntries } from '../config/index.js';
import { HttpError, type Router } from '../http/index.js';
import { MlError, type SentimentScorer } from '../ml/index.js';
import { apiKeyGuard } from './api-key.js';

export interface ModelsApiOptions {
  apiKey: string | undefined;
  /** Undefined with SUPERNOVA_SENTIMENT=false. */
  scorer: SentimentScorer | undefined;
}

/**
 * `POST /api/v1/models/sentiment/reload` (server API key): the model directory is read again and
 * a new version takes over from the one scoring (see SentimentScorer.reload). An operator copies
 * new files into SUPERNOVA_ML_MODEL_DIR, then calls this (or sends the process SIGHUP).
 */
export function registerModelsApi(router: Router, o: ModelsApiOptions): void {
  const guard = apiKeyGuard(o.apiKey);
  // One reload at a time: a second call while one loads waits for it rather than loading twice.
  let reloading: Promise<boolean> | undefined;
  router.post('/api/v1/models/sentiment/reload', async (ctx) => {
    guard(ctx);
    const scorer = o.scorer;
    if (!scorer) throw new HttpError(503, 'SENTIMENT_DISABLED', `the sentiment pipeline is off (${configEntries.sentiment.env}=false)`);
    const previous = scorer.report().version;
    reloading ??= scorer.reload().finally(() => (reloading = undefined));
    try {
      const changed = await reloading;
      return { body: { changed, previous, version: scorer.report().version } };
    } catch (err) {
      if (err instanceof MlError && err.code === 'MODEL_FILES_INVALID') {
        throw new HttpError(422, 'MODEL_INVALID', `${err.message}; ${previous} goes on scoring`);
      }
      if (err instanceof MlError && err.code === 'STOPPED') throw new HttpError(503, 'STOPPING', 'the engine is stopping');
      throw err;
    }
  });
}
