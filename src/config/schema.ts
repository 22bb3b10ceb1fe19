import { z } from 'zod';
import { defaultNamespaces, namespaceSchema, type NamespaceOptions } from './namespaces.js';
import { ConfigError } from './config-error.js';
import { HttpRate, httpRateSchema } from './http-rate.js';

const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const symbolList = z.union([z.array(z.string()), z.string()])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim().toUpperCase()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[A-Z0-9.]{1,12}$/, 'symbols are 1-12 of A-Z 0-9 .')).min(1));
const optionalSecret = z.string().min(1).optional();
const intervalList = z.union([z.array(z.string()), z.string()])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[1-9]\d{0,6}(ms|s|m|h)$/, 'intervals are like 1s, 5s, 1m, 1h')).min(1))
  .refine((v) => new Set(v).size === v.length, 'intervals must not repeat');
// `max` and 0 both mean as fast as possible.
const replaySpeed = z.union([z.literal('max').transform(() => 0), z.coerce.number().min(0).max(1_000_000)]);

/**
 * The one source of configuration: each key has its schema (with the default), its environment
 * variable and a description. README's configuration table is generated from this.
 */
export const configEntries = {
  port: { env: 'SUPERNOVA_PORT', schema: int(0, 65535).default(8081), doc: 'HTTP and WebSocket port (0 picks a free one)' },
  host: { env: 'SUPERNOVA_HOST', schema: z.string().min(1).default('0.0.0.0'), doc: 'Listen address' },
  apiKey: { env: 'SUPERNOVA_API_KEY', schema: optionalSecret, doc: 'Server API key (`Authorization: apikey KEY`); unset turns the server API off' },
  httpRateApi: { env: 'SUPERNOVA_HTTP_RATE_API', schema: httpRateSchema.default(new HttpRate(1000, 1)), doc: 'HTTP rate limit of the server API (`/api/*` but ingest and GETs of `/api/v1/`) per API key, per client address for requests without the key: `N/T` (`100/1s`, `600/1m`, `1000/1h`) or `off`' },
  httpRateIngest: { env: 'SUPERNOVA_HTTP_RATE_INGEST', schema: httpRateSchema.default(new HttpRate(100, 1)), doc: 'HTTP rate limit of `/api/v1/ingest/*` per API key (per client address without it)' },
  httpRatePublic: { env: 'SUPERNOVA_HTTP_RATE_PUBLIC', schema: httpRateSchema.default(HttpRate.OFF), doc: 'HTTP rate limit of the public reads (`GET /api/v1/market...`) per client address; off by default, see HTTP rate limits' },
  httpRateOps: { env: 'SUPERNOVA_HTTP_RATE_OPS', schema: httpRateSchema.default(new HttpRate(100, 1)), doc: 'HTTP rate limit of `/metrics` and `/performance/*` per client address; `/performance/health` is never limited' },
  trustProxy: { env: 'SUPERNOVA_TRUST_PROXY', schema: bool.default(false), doc: 'Take the client address of HTTP rate limits from the last `x-forwarded-for` entry; only behind a proxy that sets it' },
  redisPrefix: { env: 'SUPERNOVA_REDIS_PREFIX', schema: z.string().regex(/^[\w.:-]{1,64}$/, 'is 1-64 of letters, digits and _ . : -').default('supernova'), doc: 'Prefix of the keys the engine keeps in Redis (HTTP rate limits: PREFIX:ratelimit:GROUP:...)' },
  tokenHmacSecret: { env: 'SUPERNOVA_TOKEN_HMAC_SECRET', schema: optionalSecret, doc: 'HS256 secret of connection and subscription JWTs; unset means no token is accepted' },
  allowAnonymous: { env: 'SUPERNOVA_ALLOW_ANONYMOUS', schema: bool.default(true), doc: 'Accept connections without a token (user "")' },
  symbols: { env: 'SUPERNOVA_SYMBOLS', schema: symbolList.default(['AAPL', 'MSFT', 'NVDA', 'TSLA', 'AMZN', 'GOOGL', 'META', 'SPY']), doc: 'Symbols the feed produces' },
  feed: { env: 'SUPERNOVA_FEED', schema: z.enum(['simulated', 'replay', 'redis', 'none']).default('simulated'), doc: 'Market data source: `simulated`, `replay` (a recorded day, see SUPERNOVA_REPLAY_*), `redis` (a Redis Stream, needs SUPERNOVA_REDIS_URL) or `none` (HTTP ingest only)' },
  simTradesPerSecond: { env: 'SUPERNOVA_SIM_TRADES_PER_SECOND', schema: z.coerce.number().positive().max(10_000).default(5), doc: 'Simulated trades per second per symbol' },
  replayFile: { env: 'SUPERNOVA_REPLAY_FILE', schema: z.string().min(1).default('../shared/data/market/spy-2013-10-07/ticks.csv.gz'), doc: 'Tick CSV (gzipped if `.gz`) the replay feed reads, relative to the working directory' },
  replaySymbol: { env: 'SUPERNOVA_REPLAY_SYMBOL', schema: z.string().regex(/^[A-Z0-9.]{1,12}$/, 'a symbol is 1-12 of A-Z 0-9 .').default('SPY'), doc: 'Symbol of the replayed ticks' },
  replayDate: { env: 'SUPERNOVA_REPLAY_DATE', schema: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date is YYYY-MM-DD').optional(), doc: 'Trading day of the replay file (New York time); unset: the date in the file path' },
  replaySpeed: { env: 'SUPERNOVA_REPLAY_SPEED', schema: replaySpeed.default(1), doc: 'Replay speed: 1 is real time, 60 a minute per second, `max` (or 0) as fast as possible' },
  replayLoop: { env: 'SUPERNOVA_REPLAY_LOOP', schema: bool.default(false), doc: 'Start the replay over at the end of the file, one day later in event time' },
  barIntervals: { env: 'SUPERNOVA_BAR_INTERVALS', schema: intervalList.default(['1s', '1m']), doc: 'Bar intervals published to bars:INTERVAL:SYM (100ms to 24h)' },
  barLatenessMs: { env: 'SUPERNOVA_BAR_LATENESS_MS', schema: int(0, 3_600_000).default(2_000), doc: 'How far behind the newest event time a tick may arrive and still count in its bar; later ticks are dropped and counted' },
  barHistory: { env: 'SUPERNOVA_BAR_HISTORY', schema: int(1, 100_000).default(1_440), doc: 'Closed bars kept in memory per symbol and interval for the bars API; the oldest is dropped beyond it' },
  redisUrl: { env: 'SUPERNOVA_REDIS_URL', schema: z.string().regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL').optional(), doc: 'Redis, `redis://[:password@]host:port[/db]`; unset means no Redis' },
  feedStream: { env: 'SUPERNOVA_FEED_STREAM', schema: z.string().min(1).max(512).default('supernova:ticks'), doc: 'Redis feed: stream key the upstream XADDs ticks to' },
  feedGroup: { env: 'SUPERNOVA_FEED_GROUP', schema: z.string().min(1).max(256).default('supernova'), doc: 'Redis feed: consumer group; engines in one group share the stream' },
  feedConsumer: { env: 'SUPERNOVA_FEED_CONSUMER', schema: z.string().min(1).max(256).optional(), doc: 'Redis feed: this engine\'s consumer name, unique per process; unset is hostname-pid' },
  feedBatchSize: { env: 'SUPERNOVA_FEED_BATCH_SIZE', schema: int(1, 100_000).default(500), doc: 'Redis feed: entries per read' },
  feedBlockMs: { env: 'SUPERNOVA_FEED_BLOCK_MS', schema: int(1, 60_000).default(1_000), doc: 'Redis feed: longest a read waits for new entries' },
  feedClaimIdleMs: { env: 'SUPERNOVA_FEED_CLAIM_IDLE_MS', schema: int(100, 86_400_000).default(30_000), doc: 'Redis feed: entries another consumer left unacknowledged this long are taken over (checked at start and at this period)' },
  ingestMaxTicks: { env: 'SUPERNOVA_INGEST_MAX_TICKS', schema: int(1, 1_000_000).default(10_000), doc: 'Most ticks one POST /api/v1/ingest/ticks may carry (more is 413)' },
  ingestMaxPending: { env: 'SUPERNOVA_INGEST_MAX_PENDING', schema: int(1, 10_000_000).default(100_000), doc: 'Unsettled market publications at which tick ingest answers 503 (retry-after) and the replay and Redis feeds pause reading, instead of queueing' },
  maxSymbols: { env: 'SUPERNOVA_MAX_SYMBOLS', schema: int(1, 1_000_000).default(10_000), doc: 'Most symbols the market state tracks; ticks of a new symbol beyond it are refused (SYMBOL_LIMIT)' },
  conflateMs: { env: 'SUPERNOVA_MARKET_CONFLATE_MS', schema: int(1, 60_000).default(100), doc: 'Minimum interval between market:SYM snapshots' },
  logLevel: { env: 'SUPERNOVA_LOG_LEVEL', schema: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'), doc: 'pino log level' },
  maxFrameBytes: { env: 'SUPERNOVA_MAX_FRAME_BYTES', schema: int(1024, 16 * 1024 * 1024).default(64 * 1024), doc: 'Largest inbound WebSocket frame; a larger one closes the socket' },
  maxBackpressureBytes: { env: 'SUPERNOVA_MAX_BACKPRESSURE_BYTES', schema: int(1024).default(1024 * 1024), doc: 'Unsent bytes a socket may hold before it is disconnected as a slow consumer (3008)' },
  fanoutBatchMax: { env: 'SUPERNOVA_FANOUT_BATCH_MAX', schema: int(1, 1000).default(16), doc: 'Publications of one channel sent in one frame when they are made in the same callback (a burst); 1 sends each alone' },
  fanoutFlushMs: { env: 'SUPERNOVA_FANOUT_FLUSH_MS', schema: int(0, 100).default(0), doc: 'How long held publications of a channel may wait for more to share their frame; 0 sends them as soon as the publishing callback returns' },
  maxChannelsPerConnection: { env: 'SUPERNOVA_MAX_CHANNELS_PER_CONNECTION', schema: int(1, 100_000).default(128), doc: 'Subscriptions one connection may hold' },
  pingIntervalMs: { env: 'SUPERNOVA_PING_INTERVAL_MS', schema: int(1000, 3_600_000).default(25_000), doc: 'Server ping period' },
  pongTimeoutMs: { env: 'SUPERNOVA_PONG_TIMEOUT_MS', schema: int(100, 600_000).default(8_000), doc: 'Time a client has to answer a ping before disconnect 3012' },
  commandsPerSecond: { env: 'SUPERNOVA_COMMANDS_PER_SECOND', schema: int(1, 1_000_000).default(100), doc: 'Sustained commands per second per connection; beyond it commands get error 111' },
  commandBurst: { env: 'SUPERNOVA_COMMAND_BURST', schema: int(1, 1_000_000).default(200), doc: 'Commands a connection may send at once above the sustained rate' },
  mailboxLimit: { env: 'SUPERNOVA_MAILBOX_LIMIT', schema: int(1, 100_000).default(64), doc: 'Frames queued per connection actor; beyond it the client is disconnected with 3013' },
  handlerTimeoutMs: { env: 'SUPERNOVA_HANDLER_TIMEOUT_MS', schema: int(10, 600_000).default(5_000), doc: 'Longest a connection actor may spend on one frame' },
  maxCrashes: { env: 'SUPERNOVA_MAX_CRASHES', schema: int(1, 1000).default(5), doc: 'Handler crashes within the crash window that stop a connection actor (3004)' },
  crashWindowMs: { env: 'SUPERNOVA_CRASH_WINDOW_MS', schema: int(100, 3_600_000).default(10_000), doc: 'Window of the crash count' },
  expiredCloseDelayMs: { env: 'SUPERNOVA_EXPIRED_CLOSE_DELAY_MS', schema: int(0, 3_600_000).default(25_000), doc: 'Grace after a connection token expires before disconnect 3005, so an SDK refreshing at the deadline is not cut off' },
  shutdownGraceMs: { env: 'SUPERNOVA_SHUTDOWN_GRACE_MS', schema: int(0, 600_000).default(2_000), doc: 'Time a draining engine gives clients to read disconnect 3001' },
  metricsIntervalMs: { env: 'SUPERNOVA_METRICS_INTERVAL_MS', schema: int(10, 3_600_000).default(1_000), doc: 'Period of the `metrics` channel snapshot and the SSE metrics stream' },
  sseMaxClients: { env: 'SUPERNOVA_SSE_MAX_CLIENTS', schema: int(0, 100_000).default(100), doc: 'Concurrent `/performance/metrics/stream` clients; one more gets 503' },
  sseHeartbeatMs: { env: 'SUPERNOVA_SSE_HEARTBEAT_MS', schema: int(100, 3_600_000).default(15_000), doc: 'Period of the comment heartbeat on SSE streams' },
  sseMaxSkipped: { env: 'SUPERNOVA_SSE_MAX_SKIPPED', schema: int(0, 10_000).default(5), doc: 'Snapshots in a row an SSE client may miss because its socket is full before it is dropped' },
  dashboard: { env: 'SUPERNOVA_DASHBOARD', schema: bool.default(true), doc: 'Serve the live dashboard at `/` (built by `npm run build`)' },
  webDir: { env: 'SUPERNOVA_WEB_DIR', schema: z.string().min(1).default('dist/web'), doc: 'Directory of the built dashboard, relative to the working directory' },
  namespaces: {
    env: 'SUPERNOVA_NAMESPACES',
    schema: z.union([z.string(), z.array(z.unknown())]).optional()
      .transform((v, ctx) => parseNamespaces(v, ctx)),
    doc: 'JSON array of namespace options; an entry replaces the default of the same name',
  },
} as const;

type Entries = typeof configEntries;
export type SupernovaConfig = { [K in keyof Entries]: z.output<Entries[K]['schema']> } & { namespaces: NamespaceOptions[] };
export type ConfigOverrides = { [K in keyof Entries]?: z.input<Entries[K]['schema']> };

function parseNamespaces(value: string | unknown[] | undefined, ctx: z.RefinementCtx): NamespaceOptions[] {
  let extra: unknown[] = [];
  if (typeof value === 'string' && value.trim() !== '') {
    try {
      const parsed: unknown = JSON.parse(value);
      if (!Array.isArray(parsed)) throw new Error('not an array');
      extra = parsed;
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `must be a JSON array of namespace objects (${(err as Error).message})` });
      return [];
    }
  } else if (Array.isArray(value)) {
    extra = value;
  }
  const byName = new Map<string, unknown>(defaultNamespaces.map((ns) => [ns.name, ns]));
  for (const ns of extra) {
    const name = (ns as { name?: unknown } | null)?.name;
    byName.set(typeof name === 'string' ? name : `#${byName.size}`, ns);
  }
  const out: NamespaceOptions[] = [];
  for (const raw of byName.values()) {
    const res = namespaceSchema.safeParse(raw);
    if (!res.success) {
      ctx.addIssue({ code: 'custom', message: `namespace ${JSON.stringify(raw)}: ${res.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}` });
    } else out.push(res.data);
  }
  return out;
}

/**
 * Reads the configuration once, from environment variables and then typed overrides (tests and
 * embedders), and validates it. A bad value throws a ConfigError naming the variable.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: ConfigOverrides = {}): SupernovaConfig {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, entry] of Object.entries(configEntries)) {
    const fromOverride = Object.hasOwn(overrides, key);
    const raw = fromOverride ? (overrides as Record<string, unknown>)[key] : emptyToUndefined(env[entry.env]);
    const res = (entry.schema as z.ZodType).safeParse(raw);
    if (res.success) out[key] = res.data;
    else {
      const where = fromOverride ? `${entry.env} (option ${key})` : entry.env;
      problems.push(`${where}=${JSON.stringify(raw)}: ${res.error.issues.map((i) => i.message).join('; ')}`);
    }
  }
  if (out.feed === 'redis' && out.redisUrl === undefined && !problems.some((p) => p.startsWith('SUPERNOVA_REDIS_URL'))) {
    problems.push('SUPERNOVA_REDIS_URL: required when SUPERNOVA_FEED=redis');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as SupernovaConfig;
}

function emptyToUndefined(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}
