import { z } from 'zod';
import { defaultNamespaces, namespaceSchema, type NamespaceOptions } from './namespaces.js';
import { ConfigError } from './config-error.js';
import { FALLBACK_MAX_CONNECTIONS, memoryBudgetBytes, openFileBudget, openFileSoftLimit } from './host-limits.js';
import { BAR_ROW_BYTES, FEED_KINDS, MARKET_MEMORY_BUDGET_BYTES, maxSymbolsWithin, SYMBOL_STATE_BYTES } from '../../streams/index.js';
import { HttpRate, httpRateSchema } from './http-rate.js';
import { loadPublicKey, PublicKeyError } from '../auth/public-key.js';
import { ML_BACKEND_CHOICES } from '../ml/backend-choice.js';
import { originPatternProblem } from '../http/origin-policy.js';
import { checkSentinelMaster, parseRedisTarget, redactRedisUrl, REDIS_TOPOLOGIES, RedisTargetError, type RedisTopology } from '../redis/redis-target.js';

const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const symbolList = z.union([z.array(z.string()), z.string()])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim().toUpperCase()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[A-Z0-9.]{1,12}$/, 'symbols are 1-12 of A-Z 0-9 .')).min(1));
const optionalSecret = z.string().min(1).optional();
/** A value a token's claim is compared with exactly: spaces around it or control characters are a slip of an env file, never in a real `aud`/`iss`. */
const exactClaim = z.string().min(1).max(1024)
  .refine((v) => v === v.trim() && !/\p{Cc}/u.test(v), 'a token claim is compared exactly: no spaces around it, no control characters').optional();
const originList = z.union([z.array(z.string()), z.string()])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean))
  .superRefine((list, ctx) => {
    for (const pattern of list) {
      const problem = originPatternProblem(pattern);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }
  });
const intervalList = z.union([z.array(z.string()), z.string()])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[1-9]\d{0,6}(ms|s|m|h)$/, 'intervals are like 1s, 5s, 1m, 1h')).min(1))
  .refine((v) => new Set(v).size === v.length, 'intervals must not repeat');
/** The symbols the simulated feed produces unless SUPERNOVA_SYMBOLS says otherwise. */
export const DEFAULT_SYMBOLS: readonly string[] = ['AAPL', 'MSFT', 'NVDA', 'TSLA', 'AMZN', 'GOOGL', 'META', 'SPY'];
/**
 * Room per tick in an ingest body by default: a 12-character symbol and full-precision numbers
 * are about 85 bytes of JSON, spaced or indented JSON a little more; msgpack is smaller.
 */
export const INGEST_BYTES_PER_TICK = 128;
// `max` and 0 both mean as fast as possible.
const replaySpeed = z.union([z.literal('max').transform(() => 0), z.coerce.number().min(0).max(1_000_000)]);

/**
 * History gets an eighth of the memory budget (512 MiB of the seed's 4 GiB): it is the largest
 * thing the engine keeps, but not the only one, and it must fit well under the watchdog's mark.
 */
function defaultHistoryBytes(): number {
  return Math.max(64 * 1024 * 1024, Math.min(1024 * 1024 * 1024, Math.floor(memoryBudgetBytes() / 8)));
}

/** What the open-file limit leaves to WebSocket clients (see openFileBudget). */
function defaultMaxConnections(): number {
  const soft = openFileSoftLimit();
  return soft === undefined ? FALLBACK_MAX_CONNECTIONS : openFileBudget(soft).maxConnections;
}

/**
 * More connections than descriptors is refused rather than clamped: the operator sized the
 * deployment for that number, and an engine quietly serving fewer would surprise them under load,
 * the moment it matters. The message says which limit to raise.
 */
function fitsOpenFileLimit(value: number, ctx: z.RefinementCtx): void {
  const soft = openFileSoftLimit();
  if (soft === undefined) return;
  const { maxConnections, reserve } = openFileBudget(soft);
  if (value > maxConnections) {
    ctx.addIssue({ code: 'custom', message: `at most ${maxConnections} under this process's open-file limit of ${soft} (ulimit -n), which keeps ${reserve} for HTTP clients, files, Redis and PostgreSQL; raise the limit or lower SUPERNOVA_MAX_CONNECTIONS` });
  }
}

/**
 * The low-water mark's default is this fraction of the high: a gap of a fifth keeps the state
 * from flapping with each garbage collection (a major GC moves RSS by tens of MB), while freed
 * history and caches can bring RSS under it.
 */
const LOW_WATER_OF_HIGH = 0.8;

/**
 * The one source of configuration: each key has its schema (with the default), its environment
 * variable and a description. README's configuration table is generated from this; a default
 * that depends on the machine says how it is found (`shownDefault`) instead of its value here.
 */
export const configEntries = {
  port: { env: 'SUPERNOVA_PORT', schema: int(0, 65535).default(8081), doc: 'HTTP and WebSocket port (0 picks a free one)' },
  host: { env: 'SUPERNOVA_HOST', schema: z.string().min(1).default('0.0.0.0'), doc: 'Listen address' },
  apiKey: { env: 'SUPERNOVA_API_KEY', schema: optionalSecret, doc: 'Server API key (`Authorization: apikey KEY` or `X-API-Key: KEY`); unset turns the server API off' },
  httpRateApi: { env: 'SUPERNOVA_HTTP_RATE_API', schema: httpRateSchema.default(new HttpRate(1000, 1)), doc: 'HTTP rate limit of the server API (`/api/*` but ingest and GETs of `/api/v1/`) per API key, per client address for requests without the key: `N/T` (`100/1s`, `600/1m`, `1000/1h`) or `off`' },
  httpRateIngest: { env: 'SUPERNOVA_HTTP_RATE_INGEST', schema: httpRateSchema.default(new HttpRate(100, 1)), doc: 'HTTP rate limit of `/api/v1/ingest/*` per API key (per client address without it)' },
  httpRatePublic: { env: 'SUPERNOVA_HTTP_RATE_PUBLIC', schema: httpRateSchema.default(HttpRate.OFF), doc: 'HTTP rate limit of the public reads (`GET /api/v1/market...`) per client address; off by default, see HTTP rate limits' },
  httpRateOps: { env: 'SUPERNOVA_HTTP_RATE_OPS', schema: httpRateSchema.default(new HttpRate(100, 1)), doc: 'HTTP rate limit of `/metrics` and `/performance/*` per client address; `/performance/health` and its `/live` and `/ready` are never limited' },
  trustProxy: { env: 'SUPERNOVA_TRUST_PROXY', schema: bool.default(false), doc: 'Take the client address of HTTP rate limits from the last `x-forwarded-for` entry; only behind a proxy that sets it' },
  // No { }: a channel's keys are PREFIX:KIND:{CHANNEL}, whose braces alone must pick the hash slot.
  redisPrefix: { env: 'SUPERNOVA_REDIS_PREFIX', schema: z.string().regex(/^[\w.:-]{1,64}$/, 'is 1-64 of letters, digits and _ . : - (no { }: the keys of a channel share the hash slot of {CHANNEL})').default('supernova'), doc: 'Prefix of the keys and channels the engine keeps in Redis (HTTP rate limits: PREFIX:ratelimit:GROUP:...); deployments sharing a Redis each have their own' },
  broker: { env: 'SUPERNOVA_BROKER', schema: z.enum(['auto', 'memory', 'redis']).default('auto'), doc: 'Where channels live: `memory` (this process alone), `redis` (shared by every node on SUPERNOVA_REDIS_URL), `auto` (redis when SUPERNOVA_REDIS_URL is set)' },
  presenceTtlMs: { env: 'SUPERNOVA_PRESENCE_TTL_MS', schema: int(1_000, 3_600_000).default(60_000), doc: 'Redis broker: a presence entry lapses this long after its node last refreshed it (every third of it), so a dead node leaves no ghosts' },
  nodeAnnounceMs: { env: 'SUPERNOVA_NODE_ANNOUNCE_MS', schema: int(100, 60_000).default(3_000), doc: 'Redis broker: how often a node writes its info for `/api/info`; a node silent for three periods is no longer listed' },
  databaseUrl: { env: 'SUPERNOVA_DATABASE_URL', schema: z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// or postgresql:// URL').optional(), doc: 'PostgreSQL, `postgres://user[:password]@host:port/database`: migrated at start (and by `npm run migrate`); unset means no database' },
  databaseAtStart: { env: 'SUPERNOVA_DATABASE_AT_START', schema: z.enum(['wait', 'require']).default('wait'), doc: 'A database that does not answer at start: `wait` starts the engine without it (the `database` health component down; closed bars, ticks, news and sentiment rows wait in memory and in the spill) and migrates it once it answers, retrying every few seconds; `require` refuses to start (DATABASE_UNREACHABLE)' },
  databasePoolSize: { env: 'SUPERNOVA_DATABASE_POOL_SIZE', schema: int(1, 1_000).default(10), doc: 'Connections to PostgreSQL at most' },
  databaseCheckMs: { env: 'SUPERNOVA_DATABASE_CHECK_MS', schema: int(100, 300_000).default(5_000), doc: 'How often a running database is asked `select 1`: the `database` health component goes down within this much of losing it' },
  persistBatchMax: { env: 'SUPERNOVA_PERSIST_BATCH_MAX', schema: int(1, 10_000).default(500), doc: 'Rows per insert of persisted bars at most' },
  persistFlushMs: { env: 'SUPERNOVA_PERSIST_FLUSH_MS', schema: int(1, 60_000).default(1_000), doc: 'How long a row to persist may wait for a fuller batch' },
  persistMaxBuffered: { env: 'SUPERNOVA_PERSIST_MAX_BUFFERED', schema: int(1, 10_000_000).default(100_000), doc: 'Rows held for the database at most (waiting, or unwritten while it is down); past it rows are refused, counted in supernova_persist_refused_total and logged' },
  storeTicks: { env: 'SUPERNOVA_STORE_TICKS', schema: bool.default(false), doc: 'Store every accepted tick in the `ticks` table (with SUPERNOVA_DATABASE_URL), by COPY in batches; off by default, as a busy feed writes tens of thousands of rows a second' },
  persistTicksBatchMax: { env: 'SUPERNOVA_PERSIST_TICKS_BATCH_MAX', schema: int(1, 100_000).default(5_000), doc: 'Ticks per COPY at most (SUPERNOVA_STORE_TICKS); a batch also goes after SUPERNOVA_PERSIST_FLUSH_MS' },
  persistTicksMaxBuffered: { env: 'SUPERNOVA_PERSIST_TICKS_MAX_BUFFERED', schema: int(1, 10_000_000).default(500_000), doc: 'Ticks held for the database at most (about 110 bytes each: 55 MB by default); past it ticks are refused, counted in supernova_persist_refused_total{table="ticks"} and logged' },
  spillDir: { env: 'SUPERNOVA_SPILL_DIR', schema: z.string().min(1).optional(), doc: 'Directory where rows for PostgreSQL wait on disk while it is down (a subdirectory per table, e.g. `bars/`), relative to the working directory; created at start, which fails if it cannot be written. Unset: rows wait in memory only (SUPERNOVA_PERSIST_MAX_BUFFERED) and are lost if the engine dies' },
  spillMaxBytes: { env: 'SUPERNOVA_SPILL_MAX_BYTES', schema: int(64 * 1024, 2 ** 50).default(1024 * 1024 * 1024), doc: 'Bytes the spill of all tables may hold on disk; past it (or when the disk is full) rows stay in memory, the refusal is counted in supernova_spill_refusals_total and logged, and past SUPERNOVA_PERSIST_MAX_BUFFERED rows are refused' },
  spillSegmentBytes: { env: 'SUPERNOVA_SPILL_SEGMENT_BYTES', schema: int(4096, 2 ** 30).default(64 * 1024 * 1024), doc: 'Size at which a spill segment file is closed and the next begun; a segment is deleted once all its rows are in the database' },
  spillAfterRows: { env: 'SUPERNOVA_SPILL_AFTER_ROWS', schema: int(0, 10_000_000).default(0), doc: 'While the database is down, rows beyond this many in memory go to the spill, oldest first; 0 puts every row on disk within SUPERNOVA_PERSIST_FLUSH_MS, so a crash during an outage loses none. Below SUPERNOVA_PERSIST_MAX_BUFFERED' },
  cacheShards: { env: 'SUPERNOVA_CACHE_SHARDS', schema: int(1, 256).default(4), doc: 'Cache shards: actors each owning an equal slice of L1 and the lookups of its keys (by FNV-1a hash of the key)' },
  cacheL1MaxItems: { env: 'SUPERNOVA_CACHE_L1_MAX_ITEMS', schema: int(1, 10_000_000).default(5_000), doc: 'Cache L1 (this process\'s memory): entries at most over all shards; past it the least recently used go (supernova_cache_evictions_total)' },
  cacheL1MaxBytes: { env: 'SUPERNOVA_CACHE_L1_MAX_BYTES', schema: int(64 * 1024, 2 ** 36).default(64 * 1024 * 1024), doc: 'Cache L1: bytes at most over all shards (encoded values, keys and 96 bytes of overhead per entry); past it the least recently used go' },
  cacheL1TtlMs: { env: 'SUPERNOVA_CACHE_L1_TTL_MS', schema: int(1, 7 * 86_400_000).default(300_000), doc: 'Cache L1: how long an entry is kept; also the longest another node\'s change can go unseen if its invalidation is lost' },
  cacheL2TtlMs: { env: 'SUPERNOVA_CACHE_L2_TTL_MS', schema: int(1, 30 * 86_400_000).default(3_600_000), doc: 'Cache L2 (Redis, with SUPERNOVA_REDIS_URL; keys PREFIX:cache:KEY): how long an entry is kept' },
  cacheL3TtlMs: { env: 'SUPERNOVA_CACHE_L3_TTL_MS', schema: int(1, 365 * 86_400_000).default(86_400_000), doc: 'Cache L3 (PostgreSQL table cache_entries, with SUPERNOVA_DATABASE_URL): how long an entry is kept; expired rows are never read and are purged every SUPERNOVA_CACHE_MAINTENANCE_MS' },
  cacheL3MaxRows: { env: 'SUPERNOVA_CACHE_L3_MAX_ROWS', schema: int(1, 1_000_000_000).default(1_000_000), doc: 'Cache L3: rows at most; beyond it the rows soonest to expire are deleted at each maintenance pass (supernova_cache_evictions_total{tier="l3"})' },
  cacheL3MaxBytes: { env: 'SUPERNOVA_CACHE_L3_MAX_BYTES', schema: int(1024 * 1024, 2 ** 40).default(1024 * 1024 * 1024), doc: 'Cache L3: bytes of values and keys at most, enforced like SUPERNOVA_CACHE_L3_MAX_ROWS' },
  cacheMaxEntryBytes: { env: 'SUPERNOVA_CACHE_MAX_ENTRY_BYTES', schema: int(64, 512 * 1024 * 1024).default(1024 * 1024), doc: 'Cache: largest value (msgpack-encoded) kept in any tier; set() refuses a larger one (VALUE_TOO_LARGE), a loaded one is returned but not kept' },
  cacheMaxPending: { env: 'SUPERNOVA_CACHE_MAX_PENDING', schema: int(1, 1_000_000).default(10_000), doc: 'Cache: requests one shard holds at most (gets waiting for a lookup, queued writes, mailbox); beyond it they fail with OVERLOADED (supernova_cache_refused_total)' },
  cacheTimeoutMs: { env: 'SUPERNOVA_CACHE_TIMEOUT_MS', schema: int(1, 600_000).default(5_000), doc: 'Cache: how long a get, set or invalidate waits for its shard, and a loader may run, before TIMEOUT' },
  cacheTierTimeoutMs: { env: 'SUPERNOVA_CACHE_TIER_TIMEOUT_MS', schema: int(1, 60_000).default(1_000), doc: 'Cache: a Redis or PostgreSQL cache operation slower than this fails, and that tier is skipped (supernova_cache_skipped_total) until it answers again' },
  cacheMaintenanceMs: { env: 'SUPERNOVA_CACHE_MAINTENANCE_MS', schema: int(0, 86_400_000).default(60_000), doc: 'Cache: period of the L3 purge of expired rows and of its bounds, and of the L2 size sample; 0 never' },
  cacheWarmKeys: { env: 'SUPERNOVA_CACHE_WARM_KEYS', schema: int(0, 100_000).default(1_000), doc: 'Cache: the most read L1 keys recorded in L2 and L3 at stop, whose values are read back into L1 at start (nothing is loaded); 0 turns the warm-up off' },
  cacheReads: { env: 'SUPERNOVA_CACHE_READS', schema: bool.default(true), doc: 'Read paths (the bars API past memory) go through the cache; `false` sends each such read to its source, for measuring the cache or ruling it out' },
  taskQueue: { env: 'SUPERNOVA_TASK_QUEUE', schema: z.enum(['auto', 'memory', 'redis']).default('auto'), doc: 'Where queued tasks live: `memory` (this process; lost at exit), `redis` (BullMQ under SUPERNOVA_REDIS_PREFIX: they survive a restart and every engine shares them; needs SUPERNOVA_REDIS_URL), `auto` (redis when SUPERNOVA_REDIS_URL is set)' },
  taskWorkersMin: { env: 'SUPERNOVA_TASK_WORKERS_MIN', schema: int(1, 1_000).default(2), doc: 'Tasks: worker actors kept even when idle' },
  taskWorkersMax: { env: 'SUPERNOVA_TASK_WORKERS_MAX', schema: int(1, 1_000).default(50), doc: 'Tasks: worker actors at most (tasks running at once on this engine); the pool grows toward it on queue depth and wait' },
  taskQueueMax: { env: 'SUPERNOVA_TASK_QUEUE_MAX', schema: int(1, 10_000_000).default(50_000), doc: 'Tasks: queued tasks at most (memory mode: on this engine; redis mode: waiting in the shared queue); past it a submission is refused with HTTP 429 / error 106' },
  taskTimeoutMs: { env: 'SUPERNOVA_TASK_TIMEOUT_MS', schema: int(1, 86_400_000).default(30_000), doc: 'Tasks: how long a task may run when its submission names no `timeoutMs`; then it is `timed_out`, its worker freed and a CPU task\'s thread replaced' },
  taskTimeoutMaxMs: { env: 'SUPERNOVA_TASK_TIMEOUT_MAX_MS', schema: int(1, 86_400_000).default(600_000), doc: 'Tasks: the largest `timeoutMs` a submission may ask for' },
  taskResultTtlMs: { env: 'SUPERNOVA_TASK_RESULT_TTL_MS', schema: int(1_000, 30 * 86_400_000).default(3_600_000), doc: 'Tasks: how long a finished task\'s status and result are kept (in memory, and through the cache in Redis/PostgreSQL when they are configured)' },
  taskRecordsMax: { env: 'SUPERNOVA_TASK_RECORDS_MAX', schema: int(100, 10_000_000).default(100_000), doc: 'Tasks: finished tasks kept at most (memory mode: in memory, oldest first out, their results staying in the cache tiers; redis mode: completed and failed jobs each in Redis)' },
  taskAttempts: { env: 'SUPERNOVA_TASK_ATTEMPTS', schema: int(1, 100).default(3), doc: 'Tasks: attempts at most of a task whose type is retryable (failures and timeouts; never cancellations)' },
  taskRetryBaseMs: { env: 'SUPERNOVA_TASK_RETRY_BASE_MS', schema: int(1, 3_600_000).default(200), doc: 'Tasks: backoff before retry n is a random delay up to BASE * 2^(n-1) (full jitter)' },
  taskAgingMs: { env: 'SUPERNOVA_TASK_AGING_MS', schema: int(1, 3_600_000).default(5_000), doc: 'Tasks: a queued task that has waited this long goes ahead of tasks one priority above it that were queued after (low never starves)' },
  taskScaleIntervalMs: { env: 'SUPERNOVA_TASK_SCALE_INTERVAL_MS', schema: int(10, 60_000).default(100), doc: 'Tasks: how often the pool size is reconsidered' },
  taskScaleUpWaitMs: { env: 'SUPERNOVA_TASK_SCALE_UP_WAIT_MS', schema: int(1, 600_000).default(50), doc: 'Tasks: the pool grows when the oldest queued task has waited this long, or when more tasks wait than workers run' },
  taskScaleDownIdleMs: { env: 'SUPERNOVA_TASK_SCALE_DOWN_IDLE_MS', schema: int(1, 3_600_000).default(10_000), doc: 'Tasks: the pool shrinks by one worker each interval once nothing has waited and a worker has been idle this long' },
  taskCpuThreads: { env: 'SUPERNOVA_TASK_CPU_THREADS', schema: int(0, 256).default(0), doc: 'Tasks: worker threads of the CPU pool (piscina) where CPU-heavy tasks run; 0 is one fewer than the cores, at least 1' },
  taskResultMaxBytes: { env: 'SUPERNOVA_TASK_RESULT_MAX_BYTES', schema: int(64, 256 * 1024 * 1024).default(1024 * 1024), doc: 'Tasks: largest result of one task (msgpack-encoded); a larger one makes the task `failed`' },
  taskResultsMaxBytes: { env: 'SUPERNOVA_TASK_RESULTS_MAX_BYTES', schema: int(1024 * 1024, 2 ** 40).default(256 * 1024 * 1024), doc: 'Tasks: bytes of results kept in memory at most; past it the oldest finished tasks go first' },
  taskBatchMaxItems: { env: 'SUPERNOVA_TASK_BATCH_MAX_ITEMS', schema: int(1, 1_000_000).default(10_000), doc: 'Tasks: items at most in one batch submission' },
  taskArgsMaxBytes: { env: 'SUPERNOVA_TASK_ARGS_MAX_BYTES', schema: int(64, 64 * 1024 * 1024).default(64 * 1024), doc: 'Tasks: largest `args` of one task (msgpack-encoded); a larger one is refused with 400 / error 107' },
  taskLockMs: { env: 'SUPERNOVA_TASK_LOCK_MS', schema: int(500, 3_600_000).default(30_000), doc: 'Tasks, redis mode: how long a running task stays locked to its engine without renewal; a task of an engine that died is taken over by another engine after about this long' },
  mlBackend: { env: 'SUPERNOVA_ML_BACKEND', schema: z.enum(ML_BACKEND_CHOICES).default('auto'), doc: 'TensorFlow.js backend of the sentiment model: `auto` takes the first that loads of `tensorflow-gpu` (@tensorflow/tfjs-node-gpu, CUDA), `tensorflow` (@tensorflow/tfjs-node), `wasm` (SIMD, one thread) and `cpu` (plain JavaScript); naming one forces it, and stops start-up if it does not load' },
  mlModelDir: { env: 'SUPERNOVA_ML_MODEL_DIR', schema: z.string().min(1).default('models/sentiment'), doc: 'Directory of the sentiment model (model.json, weights.bin, tokenizer.json, labels.json; see `npm run train:sentiment`), relative to the working directory' },
  mlReplicas: { env: 'SUPERNOVA_ML_REPLICAS', schema: int(0, 64).default(2), doc: 'Sentiment model replicas: worker threads each with the model loaded, so inference never holds the event loop; 0 scores on the calling thread (each call holds the event loop for its inference)' },
  mlMicroBatchMax: { env: 'SUPERNOVA_ML_MICROBATCH_MAX', schema: int(1, 256).default(32), doc: 'Sentiment replicas: texts in one batch at most (B); a batch leaves when it has this many or its first text has waited SUPERNOVA_ML_MICROBATCH_WAIT_MS' },
  mlMicroBatchWaitMs: { env: 'SUPERNOVA_ML_MICROBATCH_WAIT_MS', schema: int(0, 1_000).default(2), doc: 'Sentiment replicas: longest a text waits for others to share its batch (T); 0 sends what is queued at once' },
  mlTimeoutMs: { env: 'SUPERNOVA_ML_TIMEOUT_MS', schema: int(50, 600_000).default(5_000), doc: 'Sentiment replicas: a batch unanswered this long means a hung worker, which is ended and replaced (its texts retried once); a text that waited this long for a replica fails with TIMEOUT' },
  mlMaxQueued: { env: 'SUPERNOVA_ML_MAX_QUEUED', schema: int(1, 1_000_000).default(10_000), doc: 'Sentiment replicas: texts waiting for a replica at most; a call that would pass it fails with OVERLOADED (supernova_ml_refused_total)' },
  mlCacheMaxItems: { env: 'SUPERNOVA_ML_CACHE_MAX_ITEMS', schema: int(1, 10_000_000).default(100_000), doc: 'Sentiment inference cache L1: results at most (by model version and SHA-1 of the text); past it the least recently used go' },
  mlCacheMaxBytes: { env: 'SUPERNOVA_ML_CACHE_MAX_BYTES', schema: int(64 * 1024, 2 ** 34).default(32 * 1024 * 1024), doc: 'Sentiment inference cache L1: bytes at most (about 220 per result, key and overhead included)' },
  mlCacheTtlMs: { env: 'SUPERNOVA_ML_CACHE_TTL_MS', schema: int(1, 30 * 86_400_000).default(3_600_000), doc: 'Sentiment inference cache: how long a result is kept in L1, and in L2 (Redis, with SUPERNOVA_REDIS_URL; keys PREFIX:ml:cache:VERSION:HASH)' },
  mlModelsMax: { env: 'SUPERNOVA_ML_MODELS_MAX', schema: int(1, 16).default(2), doc: 'Sentiment replicas: model versions kept loaded in every replica; a version loaded past it unloads the least recently current' },
  mlWorkerNice: { env: 'SUPERNOVA_ML_WORKER_NICE', schema: int(0, 19).default(10), doc: 'Sentiment replicas, Linux: nice value of each worker thread, so that when inference saturates the cores the event loop (sockets, HTTP) gets them first; 0 leaves the default priority' },
  tokenHmacSecret: { env: 'SUPERNOVA_TOKEN_HMAC_SECRET', schema: optionalSecret, doc: 'HMAC secret (HS256, HS384, HS512) of connection and subscription JWTs; with SUPERNOVA_TOKEN_PUBLIC_KEY and SUPERNOVA_TOKEN_JWKS_URL unset too, no token is accepted' },
  tokenPublicKey: { env: 'SUPERNOVA_TOKEN_PUBLIC_KEY', schema: z.string().min(1).optional(), doc: 'RSA (RS256/384/512, PS256/384/512), EC (P-256: ES256, P-384: ES384, P-521: ES512) or Ed25519 (EdDSA) public key of connection and subscription JWTs: PEM text (`\\n` escapes allowed) or the path of a PEM file; exclusive with SUPERNOVA_TOKEN_JWKS_URL' },
  tokenJwksUrl: { env: 'SUPERNOVA_TOKEN_JWKS_URL', schema: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(), doc: 'JWKS endpoint whose RSA, EC and Ed25519 keys verify connection and subscription JWTs (picked by `kid`); cached, fetched again when a token names an unknown `kid`' },
  tokenJwksTimeoutMs: { env: 'SUPERNOVA_TOKEN_JWKS_TIMEOUT_MS', schema: int(50, 60_000).default(2_000), doc: 'Longest a JWKS fetch may take; a connect or subscribe waiting on it then gets error 100 (temporary), so the SDK retries. Below SUPERNOVA_HANDLER_TIMEOUT_MS' },
  tokenJwksCooldownMs: { env: 'SUPERNOVA_TOKEN_JWKS_COOLDOWN_MS', schema: int(0, 3_600_000).default(30_000), doc: 'After a JWKS fetch, tokens with an unknown `kid` are refused (3500) without a new fetch for this long' },
  tokenJwksCacheMaxAgeMs: { env: 'SUPERNOVA_TOKEN_JWKS_CACHE_MAX_AGE_MS', schema: int(1, 86_400_000).default(600_000), doc: 'A fetched key set is used this long, then fetched again before the next token: how long a key removed from the set stays accepted' },
  tokenAudience: { env: 'SUPERNOVA_TOKEN_AUDIENCE', schema: exactClaim, doc: 'When set, connection and subscription JWTs must have this `aud` (Centrifugo\'s `token_audience`): a token without it is refused with 3500' },
  tokenIssuer: { env: 'SUPERNOVA_TOKEN_ISSUER', schema: exactClaim, doc: 'When set, connection and subscription JWTs must have this `iss` (Centrifugo\'s `token_issuer`): a token without it is refused with 3500' },
  wsCompression: { env: 'SUPERNOVA_WS_COMPRESSION', schema: z.enum(['off', 'shared', 'dedicated']).default('off'), doc: 'WebSocket permessage-deflate, for clients that offer it: `shared` (one compressor for all sockets, no memory per socket, each frame compressed alone), `dedicated` (a compressor of its own per socket, about 4 KB, whose 512-byte window lets a frame refer to the previous ones: consecutive market snapshots shrink about 6x instead of 1.4x); see WebSocket compression' },
  wsCompressionMinBytes: { env: 'SUPERNOVA_WS_COMPRESSION_MIN_BYTES', schema: int(0, 16 * 1024 * 1024).default(128), doc: 'With SUPERNOVA_WS_COMPRESSION on, frames shorter than this go uncompressed (replies, pings: deflate saves little on them and costs the same call per socket); market snapshots are about 230 bytes' },
  allowAnonymous: { env: 'SUPERNOVA_ALLOW_ANONYMOUS', schema: bool.default(true), doc: 'Accept connections without a token (user "")' },
  personalChannel: { env: 'SUPERNOVA_PERSONAL_CHANNEL', schema: bool.default(false), doc: 'Subscribe every connection with a user server-side to its personal channel `#ID` (or `NS:#ID` with SUPERNOVA_PERSONAL_CHANNEL_NAMESPACE), as Centrifugo\'s subscribe_to_user_personal_channel' },
  personalChannelNamespace: { env: 'SUPERNOVA_PERSONAL_CHANNEL_NAMESPACE', schema: z.string().regex(/^[a-zA-Z0-9_.-]+$/, 'a namespace name').optional(), doc: 'Namespace of the personal channels of SUPERNOVA_PERSONAL_CHANNEL (`NS:#ID`); unset: `#ID`, a channel without a namespace (see SUPERNOVA_CHANNEL_WITHOUT_NAMESPACE)' },
  symbols: { env: 'SUPERNOVA_SYMBOLS', schema: symbolList.default([...DEFAULT_SYMBOLS]), doc: 'Symbols the feed produces, and those a market mirror follows' },
  marketSource: { env: 'SUPERNOVA_MARKET_SOURCE', schema: z.enum(['pipeline', 'mirror']).default('pipeline'), doc: 'Where this node\'s bars API, market snapshots and `market.*` RPC come from: `pipeline` (its own market pipeline, from its feed and HTTP ingest) or `mirror` (the shared `market:` and `bars:` channels of the node that runs the pipeline; needs the Redis broker and SUPERNOVA_FEED=none, and HTTP ingest answers 421)' },
  feed: { env: 'SUPERNOVA_FEED', schema: z.enum(FEED_KINDS).default('simulated'), doc: 'Market data source: `simulated`, `replay` (a recorded day, see SUPERNOVA_REPLAY_*), `redis` (a Redis Stream, needs SUPERNOVA_REDIS_URL) or `none` (HTTP ingest only)' },
  simTradesPerSecond: { env: 'SUPERNOVA_SIM_TRADES_PER_SECOND', schema: z.coerce.number().positive().max(10_000).default(5), doc: 'Simulated trades per second per symbol' },
  replayFile: { env: 'SUPERNOVA_REPLAY_FILE', schema: z.string().min(1).default('../shared/data/market/spy-2013-10-07/ticks.csv.gz'), doc: 'Tick CSV (gzipped if `.gz`) the replay feed reads, relative to the working directory' },
  replaySymbol: { env: 'SUPERNOVA_REPLAY_SYMBOL', schema: z.string().regex(/^[A-Z0-9.]{1,12}$/, 'a symbol is 1-12 of A-Z 0-9 .').default('SPY'), doc: 'Symbol of the replayed ticks' },
  replayDate: { env: 'SUPERNOVA_REPLAY_DATE', schema: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date is YYYY-MM-DD').optional(), doc: 'Trading day of the replay file (New York time); unset: the date in the file path' },
  replaySpeed: { env: 'SUPERNOVA_REPLAY_SPEED', schema: replaySpeed.default(1), doc: 'Replay speed: 1 is real time, 60 a minute per second, `max` (or 0) as fast as possible' },
  replayLoop: { env: 'SUPERNOVA_REPLAY_LOOP', schema: bool.default(false), doc: 'Start the replay over at the end of the file, one day later in event time' },
  barIntervals: { env: 'SUPERNOVA_BAR_INTERVALS', schema: intervalList.default(['1s', '1m']), doc: 'Bar intervals published to bars:INTERVAL:SYM (100ms to 24h)' },
  barLatenessMs: { env: 'SUPERNOVA_BAR_LATENESS_MS', schema: int(0, 3_600_000).default(2_000), doc: 'How far behind the newest event time a tick may arrive and still count in its bar; later ticks are dropped and counted' },
  barHistory: { env: 'SUPERNOVA_BAR_HISTORY', schema: int(1, 100_000).default(1_440), doc: 'Closed bars kept in memory per symbol and interval for the bars API; the oldest is dropped beyond it' },
  redisUrl: {
    env: 'SUPERNOVA_REDIS_URL',
    schema: z.string().refine((v) => v.split(',').every((e) => /^rediss?:\/\/\S+$/.test(e.trim())), 'must be a redis:// or rediss:// URL, or a comma-separated list of them').optional(),
    redact: redactRedisUrl,
    doc: 'Redis, `redis://[[user]:password@]host:port[/db]` (`rediss://` is TLS); for SUPERNOVA_REDIS_TOPOLOGY=cluster a comma-separated list of seed nodes, for sentinel a list of Sentinels (the credentials and db are the master\'s). Unset means no Redis',
  },
  redisTopology: { env: 'SUPERNOVA_REDIS_TOPOLOGY', schema: z.enum(REDIS_TOPOLOGIES as [RedisTopology, ...RedisTopology[]]).default('single'), doc: 'What SUPERNOVA_REDIS_URL names: `single` (one server), `sentinel` (Sentinels monitoring a master, see SUPERNOVA_REDIS_SENTINEL_MASTER) or `cluster` (a Redis Cluster; channels use sharded PUB/SUB)' },
  redisSentinelMaster: { env: 'SUPERNOVA_REDIS_SENTINEL_MASTER', schema: z.string().regex(/^\S{1,256}$/, 'is 1-256 characters without spaces').optional(), doc: 'The master name the Sentinels monitor; required with SUPERNOVA_REDIS_TOPOLOGY=sentinel' },
  redisSentinelUsername: { env: 'SUPERNOVA_REDIS_SENTINEL_USERNAME', schema: z.string().regex(/^\S{1,256}$/, 'is 1-256 characters without spaces').optional(), doc: 'Sentinel only: the ACL user the engine authenticates to the Sentinels as (with SUPERNOVA_REDIS_SENTINEL_PASSWORD); unset, the password alone is sent, as to a Sentinel with `requirepass`' },
  redisSentinelPassword: { env: 'SUPERNOVA_REDIS_SENTINEL_PASSWORD', schema: optionalSecret, doc: 'Sentinel only: the password of the Sentinels themselves (their `requirepass`, or the ACL user\'s); the master\'s and replicas\' credentials stay in SUPERNOVA_REDIS_URL' },
  feedStream: { env: 'SUPERNOVA_FEED_STREAM', schema: z.string().min(1).max(512).default('supernova:ticks'), doc: 'Redis feed: stream key the upstream XADDs ticks to' },
  feedGroup: { env: 'SUPERNOVA_FEED_GROUP', schema: z.string().min(1).max(256).default('supernova'), doc: 'Redis feed: consumer group; engines in one group share the stream' },
  feedConsumer: { env: 'SUPERNOVA_FEED_CONSUMER', schema: z.string().min(1).max(256).optional(), doc: 'Redis feed: this engine\'s consumer name, unique per process; unset is hostname-pid' },
  feedBatchSize: { env: 'SUPERNOVA_FEED_BATCH_SIZE', schema: int(1, 100_000).default(500), doc: 'Redis feed: entries per read' },
  feedBlockMs: { env: 'SUPERNOVA_FEED_BLOCK_MS', schema: int(1, 60_000).default(1_000), doc: 'Redis feed: longest a read waits for new entries' },
  feedClaimIdleMs: { env: 'SUPERNOVA_FEED_CLAIM_IDLE_MS', schema: int(100, 86_400_000).default(30_000), doc: 'Redis feed: entries another consumer left unacknowledged this long are taken over (checked at start and at this period)' },
  ingestMaxTicks: { env: 'SUPERNOVA_INGEST_MAX_TICKS', schema: int(1, 50_000).default(10_000), doc: 'Most ticks one POST /api/v1/ingest/ticks may carry (more is 413); at most 50,000, because the body is parsed in one step (about 9 ms per 10,000 JSON ticks) and no request may hold the event loop much longer than 50 ms' },
  ingestMaxPending: { env: 'SUPERNOVA_INGEST_MAX_PENDING', schema: int(1, 10_000_000).default(100_000), doc: 'Unsettled market publications at which tick ingest answers 503 (retry-after) and the replay and Redis feeds pause reading, instead of queueing' },
  maxSymbols: { env: 'SUPERNOVA_MAX_SYMBOLS', schema: int(1, 1_000_000).optional(), doc: `Most symbols the market state tracks; ticks of a new symbol beyond it are refused (SYMBOL_LIMIT). Unset: as many as fit ${MARKET_MEMORY_BUDGET_BYTES / 2 ** 30} GiB at ${SYMBOL_STATE_BYTES} bytes + ${BAR_ROW_BYTES} x SUPERNOVA_BAR_HISTORY per bar interval each` },
  httpMaxBodyBytes: { env: 'SUPERNOVA_HTTP_MAX_BODY_BYTES', schema: int(1024, 2 ** 30).default(1024 * 1024), doc: 'Largest HTTP request body; a larger one is refused with 413 (tick ingest has its own, SUPERNOVA_INGEST_MAX_BODY_BYTES)' },
  ingestMaxBodyBytes: { env: 'SUPERNOVA_INGEST_MAX_BODY_BYTES', schema: int(1024, 2 ** 30).optional(), doc: `Largest body of POST /api/v1/ingest/ticks (413 beyond it). Unset: ${INGEST_BYTES_PER_TICK} bytes per tick of SUPERNOVA_INGEST_MAX_TICKS` },
  conflateMs: { env: 'SUPERNOVA_MARKET_CONFLATE_MS', schema: int(1, 60_000).default(100), doc: 'Minimum interval between market:SYM snapshots' },
  sentiment: { env: 'SUPERNOVA_SENTIMENT', schema: bool.default(true), doc: 'Run the sentiment pipeline, `POST /api/v1/sentiment/analyze` and RPC `sentiment.analyze`: the model loads at start (a model that does not load stops start-up); `false` answers their routes 503' },
  sentimentBatchMax: { env: 'SUPERNOVA_SENTIMENT_BATCH_MAX', schema: int(1, 1_024).default(32), doc: 'News items per call to the scorer at most' },
  sentimentBatchMs: { env: 'SUPERNOVA_SENTIMENT_BATCH_MS', schema: int(0, 10_000).default(5), doc: 'Longest a news item waits for a fuller batch before it is scored' },
  sentimentMaxBuffered: { env: 'SUPERNOVA_SENTIMENT_MAX_BUFFERED', schema: int(1, 1_000_000).default(5_000), doc: 'News items the pipeline holds (waiting or being scored) at most; at it news ingest answers 503, the Redis news source stops reading and simulated headlines are shed (supernova_sentiment_shed_total); also the most texts analyze requests may have at the scorer' },
  sentimentMaxInFlight: { env: 'SUPERNOVA_SENTIMENT_MAX_IN_FLIGHT', schema: int(1, 64).default(2), doc: 'Batches of news at the scorer at once at most' },
  sentimentEmaAlpha: { env: 'SUPERNOVA_SENTIMENT_EMA_ALPHA', schema: z.coerce.number().gt(0).max(1).default(0.1), doc: 'Weight of each scored item in the rolling EMA of bullish - bearish of its symbol' },
  sentimentHoursKept: { env: 'SUPERNOVA_SENTIMENT_HOURS_KEPT', schema: int(1, 24 * 31).default(48), doc: 'Hourly sentiment buckets kept in memory per symbol; older hours come from the database when there is one' },
  sentimentRecentIds: { env: 'SUPERNOVA_SENTIMENT_RECENT_IDS', schema: int(0, 1_000_000).default(10_000), doc: 'Ids of the last news items taken that are remembered: an item with one of them again is refused as DUPLICATE (a retried request, a Redis entry delivered twice) rather than counted twice; 0 remembers none' },
  sentimentMaxSymbols: { env: 'SUPERNOVA_SENTIMENT_MAX_SYMBOLS', schema: int(1, 1_000_000).default(10_000), doc: 'Symbols whose rolling sentiment is kept in memory; past it the one updated longest ago is forgotten' },
  simNewsPerMinute: { env: 'SUPERNOVA_SIM_NEWS_PER_MINUTE', schema: z.coerce.number().min(0).max(60_000).default(12), doc: 'Simulated headlines per minute over all symbols, with SUPERNOVA_FEED=simulated; 0 generates none' },
  newsStream: { env: 'SUPERNOVA_NEWS_STREAM', schema: z.string().min(1).max(512).optional(), doc: 'Redis stream key the upstream XADDs news to (fields `id symbols headline source ts`, symbols comma-separated), read with SUPERNOVA_FEED_GROUP/SUPERNOVA_FEED_CONSUMER and the feed\'s batch, block and claim settings; needs SUPERNOVA_REDIS_URL. Unset: no Redis news' },
  ingestMaxNews: { env: 'SUPERNOVA_INGEST_MAX_NEWS', schema: int(1, 10_000).default(1_000), doc: 'Most news items one POST /api/v1/ingest/news may carry (more is 413); its body is bounded by SUPERNOVA_HTTP_MAX_BODY_BYTES' },
  mlMaxBatch: { env: 'SUPERNOVA_ML_MAX_BATCH', schema: int(1, 1_024).default(64), doc: 'Texts one `POST /api/v1/sentiment/analyze` or `sentiment.analyze` may carry at most (more is 400 / error 107)' },
  mlMaxTextChars: { env: 'SUPERNOVA_ML_MAX_TEXT_CHARS', schema: int(1, 4_096).default(2_000), doc: 'Characters per analyzed text and per news headline at most (the tokenizer reads 2,000); a longer one is refused' },
  logLevel: { env: 'SUPERNOVA_LOG_LEVEL', schema: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'), doc: 'pino log level' },
  maxFrameBytes: { env: 'SUPERNOVA_MAX_FRAME_BYTES', schema: int(1024, 16 * 1024 * 1024).default(64 * 1024), doc: 'Largest inbound WebSocket message; a larger one is refused with close code 1009' },
  maxBackpressureBytes: { env: 'SUPERNOVA_MAX_BACKPRESSURE_BYTES', schema: int(1024).default(1024 * 1024), doc: 'Unsent bytes a socket may hold before it is disconnected as a slow consumer (3008)' },
  fanoutBatchMax: { env: 'SUPERNOVA_FANOUT_BATCH_MAX', schema: int(1, 1000).default(16), doc: 'Publications of one channel sent in one frame when they are made in the same callback (a burst); 1 sends each alone' },
  fanoutFlushMs: { env: 'SUPERNOVA_FANOUT_FLUSH_MS', schema: int(0, 100).default(0), doc: 'How long held publications of a channel may wait for more to share their frame; 0 sends them as soon as the publishing callback returns' },
  deltaBaseMaxBytes: { env: 'SUPERNOVA_DELTA_BASE_MAX_BYTES', schema: int(1024).default(64 * 1024 * 1024), shownDefault: '64 MiB', doc: 'Bytes the previous publications kept for fossil-delta subscribers may hold (all channels); past it the least recently published channel\'s is dropped and its next publication goes whole' },
  deltaBaseMaxChannels: { env: 'SUPERNOVA_DELTA_BASE_MAX_CHANNELS', schema: int(1).default(100_000), doc: 'Channels whose previous publication is kept for fossil-delta subscribers; past it the least recently published one\'s is dropped and its next publication goes whole' },
  historyMaxBytes: { env: 'SUPERNOVA_HISTORY_MAX_BYTES', schema: int(1024 * 1024).default(() => defaultHistoryBytes()), shownDefault: 'memory budget / 8 (512 MiB)', doc: 'Bytes the history of all channels may hold; past it the namespace holding the most drops its oldest publications first. The default is an eighth of the memory budget (the container\'s limit, else 4 GiB), from 64 MiB to 1 GiB' },
  maxDataDepth: { env: 'SUPERNOVA_MAX_DATA_DEPTH', schema: int(1, 512).default(64), doc: 'Most levels of nesting in data a client or the server API publishes (deeper is error 107): every encoder must be able to carry it' },
  errorLogPeriodMs: { env: 'SUPERNOVA_ERROR_LOG_PERIOD_MS', schema: int(100, 3_600_000).default(10_000), doc: 'An internal error caught in a callback is counted every time but logged at most once per place in this period' },
  maxChannelsPerConnection: { env: 'SUPERNOVA_MAX_CHANNELS_PER_CONNECTION', schema: int(1, 100_000).default(128), doc: 'Subscriptions one connection may hold' },
  maxConnections: {
    env: 'SUPERNOVA_MAX_CONNECTIONS',
    schema: int(1).default(defaultMaxConnections).superRefine(fitsOpenFileLimit),
    shownDefault: 'open-file limit - max(256, 10 %)',
    doc: 'WebSocket connections served at once; one more is refused with 503 `CONNECTION_LIMIT`. The default leaves a reserve (at most half the limit) for HTTP clients, files, Redis and PostgreSQL; a value above it stops start-up; 10000 where the limit cannot be read (not Linux)',
  },
  // 85 %: the OOM killer acts at 100 % of a container's limit, and RSS can grow by tens of MB
  // between two checks; the rest gives the watchdog's shedding and refusals time to act.
  memoryHighWaterBytes: {
    env: 'SUPERNOVA_MEMORY_HIGH_WATER_BYTES',
    schema: int(1).default(() => Math.floor(memoryBudgetBytes() * 0.85)),
    shownDefault: '85 % of the memory budget',
    doc: 'RSS at which the engine is under memory pressure: memory is given back and new WebSocket connections are refused with 503 `MEMORY_PRESSURE`. The budget is the container\'s memory limit (cgroup) when set, else 4 GiB, and at most the machine\'s memory',
  },
  memoryLowWaterBytes: { env: 'SUPERNOVA_MEMORY_LOW_WATER_BYTES', schema: int(1).optional(), shownDefault: '80 % of the high-water mark', doc: 'RSS below which an engine under memory pressure returns to normal; below the high-water mark' },
  memoryCheckIntervalMs: { env: 'SUPERNOVA_MEMORY_CHECK_INTERVAL_MS', schema: int(10, 600_000).default(1_000), doc: 'Period of the RSS check of the memory watchdog' },
  pingIntervalMs: { env: 'SUPERNOVA_PING_INTERVAL_MS', schema: int(1000, 3_600_000).default(25_000), doc: 'Server ping period' },
  pongTimeoutMs: { env: 'SUPERNOVA_PONG_TIMEOUT_MS', schema: int(100, 600_000).default(8_000), doc: 'Time a client has to answer a ping before disconnect 3012' },
  commandsPerSecond: { env: 'SUPERNOVA_COMMANDS_PER_SECOND', schema: int(1, 1_000_000).default(100), doc: 'Sustained commands per second per connection; beyond it commands get error 111' },
  commandBurst: { env: 'SUPERNOVA_COMMAND_BURST', schema: int(1, 1_000_000).default(200), doc: 'Commands a connection may send at once above the sustained rate' },
  mailboxLimit: { env: 'SUPERNOVA_MAILBOX_LIMIT', schema: int(1, 100_000).default(64), doc: 'Frames queued per connection actor; beyond it the client is disconnected with 3013' },
  handlerTimeoutMs: { env: 'SUPERNOVA_HANDLER_TIMEOUT_MS', schema: int(10, 600_000).default(5_000), doc: 'Longest a connection actor may spend on one frame' },
  maxCrashes: { env: 'SUPERNOVA_MAX_CRASHES', schema: int(1, 1000).default(5), doc: 'Handler crashes within the crash window that stop a connection actor (3004)' },
  crashWindowMs: { env: 'SUPERNOVA_CRASH_WINDOW_MS', schema: int(100, 3_600_000).default(10_000), doc: 'Window of the crash count' },
  expiredCloseDelayMs: { env: 'SUPERNOVA_EXPIRED_CLOSE_DELAY_MS', schema: int(0, 3_600_000).default(25_000), doc: 'Grace after a connection token expires before disconnect 3005, so an SDK refreshing at the deadline is not cut off' },
  drainDelayMs: { env: 'SUPERNOVA_DRAIN_DELAY_MS', schema: int(0, 600_000).default(5_000), doc: 'On SIGTERM, how long the engine goes on serving after `/performance/health/ready` turns 503, so load balancers stop sending it clients before it disconnects them with 3001; SIGINT skips it' },
  shutdownGraceMs: { env: 'SUPERNOVA_SHUTDOWN_GRACE_MS', schema: int(0, 600_000).default(2_000), doc: 'Time a draining engine gives clients to read disconnect 3001' },
  logFlushMs: { env: 'SUPERNOVA_LOG_FLUSH_MS', schema: int(0, 60_000).default(1_000), doc: 'Longest the exit waits for unwritten log lines; those left are lost (the process then exits anyway)' },
  logBacklogLines: { env: 'SUPERNOVA_LOG_BACKLOG_LINES', schema: int(1, 10_000_000).default(10_000), doc: 'Log lines waiting for stdout to take them; beyond it new lines are dropped and counted (supernova_log_lines_dropped_total)' },
  logBacklogBytes: { env: 'SUPERNOVA_LOG_BACKLOG_BYTES', schema: int(1024, 1024 * 1024 * 1024).default(4 * 1024 * 1024), doc: 'The same bound in bytes of waiting log lines' },
  metricsIntervalMs: { env: 'SUPERNOVA_METRICS_INTERVAL_MS', schema: int(10, 3_600_000).default(1_000), doc: 'Period of the `metrics` channel snapshot and the SSE metrics stream' },
  sseMaxClients: { env: 'SUPERNOVA_SSE_MAX_CLIENTS', schema: int(0, 100_000).default(100), doc: 'Concurrent `/performance/metrics/stream` clients; one more gets 503' },
  sseHeartbeatMs: { env: 'SUPERNOVA_SSE_HEARTBEAT_MS', schema: int(100, 3_600_000).default(15_000), doc: 'Period of the comment heartbeat on SSE streams' },
  sseMaxSkipped: { env: 'SUPERNOVA_SSE_MAX_SKIPPED', schema: int(0, 10_000).default(5), doc: 'Snapshots in a row an SSE client may miss because its socket is full before it is dropped' },
  streamMaxSessions: { env: 'SUPERNOVA_STREAM_MAX_SESSIONS', schema: int(1, 1_000_000).default(10_000), doc: 'HTTP-streaming, SSE and uni sessions served at once (`/connection/http_stream`, `/connection/sse`, `/connection/uni_*`); one more is refused with 503 `CONNECTION_LIMIT`' },
  streamWriteQueueMax: { env: 'SUPERNOVA_STREAM_WRITE_QUEUE_MAX', schema: int(1_000, 100_000_000).default(1_000_000), doc: 'Writes to stream sessions held for the end of the current callback (a publication counts once per session), where they are written in one pass; past it they are written at once, more slowly, counted in supernova_stream_write_passes_total{reason="full"}' },
  streamWriteQueueBytes: { env: 'SUPERNOVA_STREAM_WRITE_QUEUE_BYTES', schema: int(64 * 1024, 2 ** 36).default(64 * 1024 * 1024), doc: 'Bytes of the frames held for that pass (a publication counts once); past it likewise' },
  allowedOrigins: {
    env: 'SUPERNOVA_ALLOWED_ORIGINS',
    schema: originList.default([]),
    shownDefault: '(unset)',
    doc: 'Origins whose browser pages may connect (WebSocket and the HTTP-streaming, SSE, uni and `/emulation` routes, with CORS), as Centrifugo\'s `client.allowed_origins`: comma-separated `scheme://host[:port]`, `*` standing for any characters (`https://*.example.com`), or `*` for any origin. A request without `Origin` (SDKs in Node, servers, curl) and one from the server\'s own host are always let in; any other is refused with 403 `ORIGIN_NOT_ALLOWED`. Unset: same origin only',
  },
  dashboard: { env: 'SUPERNOVA_DASHBOARD', schema: bool.default(true), doc: 'Serve the live dashboard at `/` (built by `npm run build`)' },
  webDir: { env: 'SUPERNOVA_WEB_DIR', schema: z.string().min(1).default('dist/web'), doc: 'Directory of the built dashboard, relative to the working directory' },
  channelWithoutNamespace: {
    env: 'SUPERNOVA_CHANNEL_WITHOUT_NAMESPACE',
    schema: z.string().regex(/^[a-zA-Z0-9_.-]+$/, 'a namespace name').optional(),
    doc: 'Namespace whose options channels with no `:` take when no namespace has their name (`chat`, `room_1f3a`), like Centrifugo\'s channel_without_namespace; unset: such a channel must be a namespace of its own (error 102 otherwise)',
  },
  namespaces: {
    env: 'SUPERNOVA_NAMESPACES',
    schema: z.union([z.string(), z.array(z.unknown())]).optional()
      .transform((v, ctx) => parseNamespaces(v, ctx)),
    doc: 'JSON array of namespace options; an entry replaces the default of the same name',
  },
} as const;

type Entries = typeof configEntries;
/** Settings whose default follows from other settings (derivedDefaults): set once loaded. */
type DerivedKey = 'maxSymbols' | 'ingestMaxBodyBytes';
export type SupernovaConfig = { [K in keyof Entries]: z.output<Entries[K]['schema']> } & { namespaces: NamespaceOptions[]; memoryLowWaterBytes: number }
  & { [K in DerivedKey]: NonNullable<z.output<Entries[K]['schema']>> };
export type ConfigOverrides = { [K in keyof Entries]?: z.input<Entries[K]['schema']> };

/** The defaults computed from other settings, applied when their variable is unset. */
const derivedDefaults: { [K in DerivedKey]: (config: SupernovaConfig) => SupernovaConfig[K] } = {
  maxSymbols: (c) => maxSymbolsWithin(MARKET_MEMORY_BUDGET_BYTES, c.barIntervals.length, c.barHistory),
  ingestMaxBodyBytes: (c) => c.ingestMaxTicks * INGEST_BYTES_PER_TICK,
};

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
      const shown = 'redact' in entry && typeof raw === 'string' ? entry.redact(raw) : raw;
      problems.push(`${where}=${JSON.stringify(shown)}: ${res.error.issues.map((i) => i.message).join('; ')}`);
    }
  }
  if (out.feed === 'redis' && out.redisUrl === undefined && !problems.some((p) => p.startsWith('SUPERNOVA_REDIS_URL'))) {
    problems.push('SUPERNOVA_REDIS_URL: required when SUPERNOVA_FEED=redis');
  }
  if (out.broker === 'redis' && out.redisUrl === undefined && !problems.some((p) => p.startsWith('SUPERNOVA_REDIS_URL'))) {
    problems.push('SUPERNOVA_REDIS_URL: required when SUPERNOVA_BROKER=redis');
  }
  if (out.newsStream !== undefined && out.redisUrl === undefined && !problems.some((p) => p.startsWith('SUPERNOVA_REDIS_URL'))) {
    problems.push('SUPERNOVA_REDIS_URL: required when SUPERNOVA_NEWS_STREAM is set (news is read from that Redis stream)');
  }
  if (out.newsStream !== undefined && out.feed === 'redis' && out.newsStream === out.feedStream) {
    problems.push(`SUPERNOVA_NEWS_STREAM=${JSON.stringify(out.newsStream)}: must differ from SUPERNOVA_FEED_STREAM, or the tick feed and the news source would take each other's entries in the group`);
  }
  if (out.storeTicks === true && out.databaseUrl === undefined && !problems.some((p) => p.startsWith('SUPERNOVA_DATABASE_URL'))) {
    problems.push('SUPERNOVA_DATABASE_URL: required when SUPERNOVA_STORE_TICKS=true (ticks are stored in its `ticks` table)');
  }
  checkMarketMirror(out, problems);
  checkChannelWithoutNamespace(out, problems);
  checkPersonalChannel(out, problems);
  checkMemoryWaterMarks(out, problems);
  checkSpill(out, problems);
  checkRedisTarget(out, problems);
  checkTasks(out, problems);
  checkTokenKeys(out, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  const config = out as SupernovaConfig;
  for (const [key, derive] of Object.entries(derivedDefaults)) {
    if (out[key] === undefined) out[key] = derive(config);
  }
  return config;
}

/** The namespace for channels without one must be one of the namespaces. */
function checkChannelWithoutNamespace(out: Record<string, unknown>, problems: string[]): void {
  const name = out.channelWithoutNamespace;
  if (typeof name !== 'string' || !Array.isArray(out.namespaces)) return;
  const names = (out.namespaces as NamespaceOptions[]).map((ns) => ns.name);
  if (!names.includes(name)) problems.push(`${configEntries.channelWithoutNamespace.env}=${JSON.stringify(name)}: no such namespace (namespaces: ${names.join(', ')})`);
}

/** A personal channel needs a namespace to take its options from: the one named, or the default one. */
function checkPersonalChannel(out: Record<string, unknown>, problems: string[]): void {
  if (out.personalChannel !== true || !Array.isArray(out.namespaces)) return;
  const names = (out.namespaces as NamespaceOptions[]).map((ns) => ns.name);
  const ns = out.personalChannelNamespace;
  if (typeof ns === 'string') {
    if (!names.includes(ns)) problems.push(`${configEntries.personalChannelNamespace.env}=${JSON.stringify(ns)}: no such namespace (namespaces: ${names.join(', ')})`);
  } else if (out.channelWithoutNamespace === undefined) {
    problems.push(`${configEntries.personalChannel.env}=true puts users in #ID channels, which need ${configEntries.channelWithoutNamespace.env} (or set ${configEntries.personalChannelNamespace.env})`);
  }
}

/** A static key must load; it and a key set are exclusive; a key set fetch ends before the handler's timeout. */
function checkTokenKeys(out: Record<string, unknown>, problems: string[]): void {
  const { tokenPublicKey: env, tokenJwksUrl: jwksEnv, tokenJwksTimeoutMs: timeoutEnv, handlerTimeoutMs: handlerEnv } = {
    tokenPublicKey: configEntries.tokenPublicKey.env, tokenJwksUrl: configEntries.tokenJwksUrl.env,
    tokenJwksTimeoutMs: configEntries.tokenJwksTimeoutMs.env, handlerTimeoutMs: configEntries.handlerTimeoutMs.env,
  };
  if (typeof out.tokenPublicKey === 'string') {
    try {
      loadPublicKey(out.tokenPublicKey);
    } catch (err) {
      if (!(err instanceof PublicKeyError)) throw err;
      problems.push(`${env}: ${err.message}`);
    }
    if (out.tokenJwksUrl !== undefined) problems.push(`${env}: set it or ${jwksEnv}, not both (a key set can hold several keys)`);
  }
  if (out.tokenJwksUrl !== undefined && typeof out.tokenJwksTimeoutMs === 'number' && typeof out.handlerTimeoutMs === 'number' && out.tokenJwksTimeoutMs >= out.handlerTimeoutMs) {
    problems.push(`${timeoutEnv}=${out.tokenJwksTimeoutMs}: must be below ${handlerEnv} (${out.handlerTimeoutMs}), or a connect waiting on the key set would time out first`);
  }
}

function emptyToUndefined(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}

/** The URL list fits the topology, and a Sentinel master is named exactly when the topology is sentinel. */
function checkRedisTarget(out: Record<string, unknown>, problems: string[]): void {
  const fields = {
    url: configEntries.redisUrl.env, topology: configEntries.redisTopology.env, sentinelMaster: configEntries.redisSentinelMaster.env,
    sentinelUsername: configEntries.redisSentinelUsername.env, sentinelPassword: configEntries.redisSentinelPassword.env,
  };
  if (problems.some((p) => Object.values(fields).some((env) => p.startsWith(env)))) return;
  const url = out.redisUrl as string | undefined;
  const topology = out.redisTopology as RedisTopology;
  const master = out.redisSentinelMaster as string | undefined;
  const auth = { username: out.redisSentinelUsername as string | undefined, password: out.redisSentinelPassword as string | undefined };
  try {
    if (url === undefined) checkSentinelMaster(topology, master, auth);
    else parseRedisTarget(url, topology, master, auth);
  } catch (err) {
    if (!(err instanceof RedisTargetError)) throw err;
    // Never the password's value.
    const value = { url: url === undefined ? undefined : redactRedisUrl(url), topology, sentinelMaster: master, sentinelUsername: auth.username, sentinelPassword: undefined }[err.field];
    problems.push(`${fields[err.field]}${value === undefined ? '' : `=${JSON.stringify(value)}`}: ${err.message}`);
  }
}

/**
 * A mirror follows channels another node publishes: it needs them shared (the Redis broker), and
 * a feed of its own would make it a second producer of the channels it follows.
 */
function checkMarketMirror(out: Record<string, unknown>, problems: string[]): void {
  if (out.marketSource !== 'mirror') return;
  const source = `${configEntries.marketSource.env}=mirror`;
  const badUrl = problems.some((p) => p.startsWith(configEntries.redisUrl.env));
  if ((out.redisUrl === undefined && !badUrl) || out.broker === 'memory') {
    problems.push(`${source}: needs the Redis broker, to receive the channels of the node that runs the market pipeline; set ${configEntries.redisUrl.env} (and ${configEntries.broker.env} to auto or redis), or ${configEntries.marketSource.env}=pipeline`);
  }
  if (out.feed !== undefined && out.feed !== 'none') {
    problems.push(`${source}: needs ${configEntries.feed.env}=none, got ${JSON.stringify(out.feed)}: a mirror computes no market of its own; run the feed on the node with ${configEntries.marketSource.env}=pipeline`);
  }
}

/** The low-water mark defaults to a fraction of the high one, and must be below it. */
/** Rows kept in memory before the spill takes them must leave room under the memory bound, or nothing would ever spill. */
function checkTasks(out: Record<string, unknown>, problems: string[]): void {
  if (out.taskQueue === 'redis' && out.redisUrl === undefined && !problems.some((p) => p.startsWith('SUPERNOVA_REDIS_URL'))) {
    problems.push('SUPERNOVA_REDIS_URL: required when SUPERNOVA_TASK_QUEUE=redis');
  }
  if (typeof out.taskWorkersMin === 'number' && typeof out.taskWorkersMax === 'number' && out.taskWorkersMin > out.taskWorkersMax) {
    problems.push(`SUPERNOVA_TASK_WORKERS_MIN=${out.taskWorkersMin}: must not exceed SUPERNOVA_TASK_WORKERS_MAX=${out.taskWorkersMax}`);
  }
  if (typeof out.taskTimeoutMs === 'number' && typeof out.taskTimeoutMaxMs === 'number' && out.taskTimeoutMs > out.taskTimeoutMaxMs) {
    problems.push(`SUPERNOVA_TASK_TIMEOUT_MS=${out.taskTimeoutMs}: must not exceed SUPERNOVA_TASK_TIMEOUT_MAX_MS=${out.taskTimeoutMaxMs}`);
  }
}

function checkSpill(out: Record<string, unknown>, problems: string[]): void {
  const { spillAfterRows: after, persistMaxBuffered: max } = out;
  if (out.spillDir !== undefined && typeof after === 'number' && typeof max === 'number' && after >= max) {
    problems.push(`${configEntries.spillAfterRows.env}=${after}: must be below ${configEntries.persistMaxBuffered.env} (${max}), or rows would never reach the spill`);
  }
}

function checkMemoryWaterMarks(out: Record<string, unknown>, problems: string[]): void {
  const high = out.memoryHighWaterBytes;
  if (typeof high !== 'number') return;
  if (out.memoryLowWaterBytes === undefined) out.memoryLowWaterBytes = Math.floor(high * LOW_WATER_OF_HIGH);
  else if (typeof out.memoryLowWaterBytes === 'number' && out.memoryLowWaterBytes >= high) {
    problems.push(`SUPERNOVA_MEMORY_LOW_WATER_BYTES=${out.memoryLowWaterBytes}: must be below SUPERNOVA_MEMORY_HIGH_WATER_BYTES (${high})`);
  }
}
