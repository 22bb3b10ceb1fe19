import type { NewsIntake } from '../../streams/index.js';
import { HttpError, type Router } from '../http/index.js';
import { configEntries } from '../config/index.js';
import { apiKeyGuard } from './api-key.js';
import { decodeIngestArray } from './ingest-body.js';

export interface NewsIngestApiOptions {
  /** Unset answers 503, as the server API does. */
  apiKey: string | undefined;
  /** The sentiment pipeline; undefined with SUPERNOVA_SENTIMENT=false (503). */
  intake: NewsIntake | undefined;
  /** Most items one request may carry; more is 413. */
  maxItems: number;
}

/**
 * `POST /api/v1/ingest/news`: a JSON or msgpack array of `{id, symbols, headline, source?, ts}`
 * into the sentiment pipeline. Valid items are taken and invalid ones reported by index in one
 * answer `{accepted, rejected, errors}`, before scoring (scores follow on `sentiment:SYM`). When
 * the pipeline's buffer cannot take every valid item the whole request is refused with 503 and
 * retry-after, having taken none: the caller keeps what could not be kept here.
 */
export function registerNewsIngestApi(router: Router, o: NewsIngestApiOptions): void {
  const authorize = apiKeyGuard(o.apiKey);
  router.post('/api/v1/ingest/news', (ctx) => {
    authorize(ctx);
    if (!o.intake) throw new HttpError(503, 'SENTIMENT_DISABLED', `the sentiment pipeline is off (${configEntries.sentiment.env}=false)`);
    const items = decodeIngestArray(ctx, 'the body must be an array of news items {id, symbols, headline, source, ts}');
    if (items.length > o.maxItems) {
      throw new HttpError(413, 'TOO_MANY_ITEMS', `${items.length} news items in one request; at most ${o.maxItems} (${configEntries.ingestMaxNews.env})`);
    }
    try {
      const { report } = o.intake.submit(items, 'http', 'all-or-none');
      return { body: { accepted: report.accepted, rejected: report.rejected, errors: report.errors } };
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const message = (err as Error).message;
      if (code === 'SENTIMENT_BUSY') return { status: 503, headers: { 'retry-after': '1' }, body: { error: { code, message } } };
      if (code === 'SENTIMENT_UNAVAILABLE') return { status: 503, body: { error: { code, message } } };
      throw err;
    }
  });
}
