import type { IngestReport } from '../../streams/index.js';
import { HttpError, type HttpResult, type Router } from '../http/index.js';
import { configEntries } from '../config/index.js';
import { apiKeyGuard } from './api-key.js';
import { decodeIngestArray } from './ingest-body.js';

/**
 * Where ingested ticks go (streams' TickIngest): it takes them in chunks across event-loop turns
 * and answers once all are in, or rejects with a coded error, having taken none.
 */
export interface TickSink {
  submit(items: readonly unknown[]): Promise<IngestReport>;
}

export interface IngestApiOptions {
  /** Unset answers 503, as the server API does. */
  apiKey: string | undefined;
  sink: TickSink;
  /** Most ticks one request may carry; more is 413. */
  maxTicks: number;
  /** Largest body of the route (413 beyond it); the router's limit when omitted. */
  maxBodyBytes?: number;
  /**
   * Set on a node that runs no market pipeline (a market mirror): ticks taken here would reach
   * none, so every authorized request is answered 421 MARKET_MIRROR with this message.
   */
  misdirected?: string;
}

/**
 * `POST /api/v1/ingest/ticks`: a JSON or msgpack array of `{symbol, price, size, ts}` into the
 * market pipeline. Valid ticks are taken and invalid ones reported by index in one answer
 * `{accepted, rejected, errors}`; a pipeline that is behind refuses the whole request (503).
 */
export function registerIngestApi(router: Router, o: IngestApiOptions): void {
  const authorize = apiKeyGuard(o.apiKey);
  router.post('/api/v1/ingest/ticks', (ctx) => {
    authorize(ctx);
    if (o.misdirected !== undefined) throw new HttpError(421, 'MARKET_MIRROR', o.misdirected);
    const items = decodeIngestArray(ctx, 'the body must be an array of ticks {symbol, price, size, ts}');
    if (items.length > o.maxTicks) {
      throw new HttpError(413, 'TOO_MANY_TICKS', `${items.length} ticks in one request; at most ${o.maxTicks} (${configEntries.ingestMaxTicks.env})`);
    }
    return o.sink.submit(items).then((report): HttpResult => ({ body: report }), refusal);
  }, o.maxBodyBytes === undefined ? {} : { maxBodyBytes: o.maxBodyBytes });
}

/** The sink's coded refusals as 503s; a busy pipeline also says when to come back. */
function refusal(err: unknown): HttpResult {
  const code = (err as { code?: unknown }).code;
  const message = (err as Error).message;
  if (code === 'INGEST_BUSY') return { status: 503, headers: { 'retry-after': '1' }, body: { error: { code, message } } };
  if (code === 'INGEST_UNAVAILABLE') return { status: 503, body: { error: { code, message } } };
  throw err;
}
