export { registerServerApi, registerDisabledServerApi, type ServerApiOptions } from './server-api.js';
export { registerIngestApi, type IngestApiOptions, type TickSink } from './ingest-api.js';
export { registerMarketSnapshotApi } from './market-snapshot-api.js';
export { apiKeyGuard } from './api-key.js';
export { statusOf } from './status-of.js';
export { registerBarsApi } from './bars-api.js';
export { registerNewsIngestApi, type NewsIngestApiOptions } from './news-ingest-api.js';
export { registerSentimentApi, sentimentHoursCachePrefix, SENTIMENT_TIMEFRAMES, DEFAULT_SENTIMENT_TIMEFRAME, type SentimentApiOptions } from './sentiment-api.js';
export { registerTasksApi } from './tasks-api.js';
