import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { InvalidOptionError, SentimentAggregatesError } from '../errors.js';
import type { RedisFeedConnections, StreamLogger } from '../ports.js';
import type { AggregateInput, SentimentAggregates, SentimentAggregateStats, SentimentSummary } from './ports.js';
import { SENTIMENT_ADD_SCRIPT } from './redis-aggregates-script.js';
import { bucketOf, emptyBucket, round, type Bucket, type RollingSentimentOptions } from './rolling-sentiment.js';
import { labelOfSentiment, type SentimentAggregateMessage, type SentimentClass, type SentimentHourBucket } from './types.js';

export interface RedisSentimentAggregatesOptions {
  redis: RedisFeedConnections;
  /**
   * SUPERNOVA_REDIS_PREFIX: the keys are PREFIX:{PREFIX:sentiment}:*, under the prefix like every
   * key of the deployment, and in one hash slot on a cluster (the script touches several).
   */
  prefix: string;
  rolling: RollingSentimentOptions;
  /** Items held while Redis does not answer, at most; past it the oldest are dropped (counted). */
  maxPending?: number;
  /** How long one call may take before it counts as failed. */
  timeoutMs?: number;
  logger?: StreamLogger;
}

type Scripted = (Redis | Cluster) & { snSentimentAdd(...args: (string | number)[]): Promise<unknown> };

const LABEL_CODE: Record<SentimentClass, number> = { bearish: 1, bullish: 2, neutral: 3 };
/** Items per script call: one call holds Redis for its duration. */
const CHUNK = 256;
/**
 * How long a call's marker is kept: a retry within it counts once (see the script). A call that
 * ran without its answer reaching us did so while Redis answered, and is retried with the next
 * add, seconds later; a marker per call for longer would only fill Redis.
 */
const MARKER_TTL_MS = 300_000;

/** Items of one script call, under the id that makes its retries count once. */
interface Chunk {
  id: string;
  items: readonly AggregateInput[];
}
const LOG_INTERVAL_MS = 5_000;
const silentLogger: StreamLogger = { warn: () => {}, error: () => {} };

/**
 * The rolling sentiment on Redis, shared by every engine with the same prefix: with several
 * engines scoring (HTTP ingest on each, one Redis news stream read by all), each adds its items
 * to the same figures (one script call, atomic), so the aggregate any of them publishes on
 * `sentiment:SYM` counts every engine's items, and the sentiment route answers the same on each.
 *
 * Adds are made one after another, in the order the pipeline hands them in. One that fails (Redis
 * away, or slower than timeoutMs) keeps its items and adds them with the next call, up to
 * maxPending; the pipeline's items themselves are published and stored whatever happens here.
 * A retried call counts once even if Redis ran the first one after all (a marker per call, see
 * the script); the connection neither queues commands while Redis is away nor resends them after.
 */
export class RedisSentimentAggregates implements SentimentAggregates {
  private readonly base: string;
  private readonly maxPending: number;
  private readonly timeoutMs: number;
  private readonly logger: StreamLogger;
  private client: Scripted | undefined;
  private pending: Chunk[] = [];
  /** The adds under way, one after another. */
  private chain: Promise<unknown> = Promise.resolve();
  private readonly counts = { symbols: 0, evicted: 0, unbucketed: 0, dropped: 0, errors: 0 };
  private lastLogAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly o: RedisSentimentAggregatesOptions) {
    if (!o.prefix) throw new InvalidOptionError('prefix', 'must not be empty');
    this.base = `${o.prefix}:{${o.prefix}:sentiment}`;
    this.maxPending = o.maxPending ?? 10_000;
    this.timeoutMs = o.timeoutMs ?? 2_000;
    this.logger = o.logger ?? silentLogger;
  }

  async start(): Promise<void> {
    if (this.client) return;
    const client = this.o.redis.command('sentiment-aggregates', { lazyConnect: true, connectTimeout: 5_000, protocol: 2, enableOfflineQueue: false, autoResendUnfulfilledCommands: false }) as Scripted;
    client.defineCommand('snSentimentAdd', { lua: SENTIMENT_ADD_SCRIPT });
    client.on('error', (err: Error) => this.logSparingly({ err }, 'shared sentiment aggregates: redis connection error; reconnecting'));
    this.client = client;
    // Like the broker, this starts without Redis: adds are held until it answers (ioredis reconnects).
    await this.o.redis.connect(client).catch((err: unknown) => this.logSparingly({ err, redis: this.o.redis.describe() }, 'shared sentiment aggregates: redis does not answer yet'));
  }

  async stop(): Promise<void> {
    const client = this.client;
    if (!client) return;
    await this.chain;
    this.client = undefined;
    if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
    else client.disconnect();
  }

  add(items: readonly AggregateInput[]): Promise<SentimentAggregateMessage[]> {
    const run = this.chain.then(() => this.addNow(items));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async addNow(items: readonly AggregateInput[]): Promise<SentimentAggregateMessage[]> {
    const chunks = this.pending;
    for (let i = 0; i < items.length; i += CHUNK) chunks.push({ id: randomUUID(), items: items.slice(i, i + CHUNK) });
    this.pending = [];
    const out = new Map<string, SentimentAggregateMessage | undefined>();
    for (const [i, chunk] of chunks.entries()) {
      try {
        for (const a of await this.bounded(this.call(chunk))) out.set(a.symbol, a);
        // The answer keeps the order of first touch across chunks, as in memory: a symbol this
        // chunk evicted holds its place (undefined) for a later chunk that adds it again.
        for (const { symbol } of chunk.items) if (!out.has(symbol)) out.set(symbol, undefined);
      } catch (err) {
        this.counts.errors++;
        const held = chunks.slice(i);
        this.hold(held);
        this.logSparingly({ err, held: this.pendingCount() }, 'shared sentiment aggregates: redis did not take the items; held for the next add');
        // Symbols of the held items are left out: their figures are not known.
        for (const c of held) for (const { symbol } of c.items) out.delete(symbol);
        break;
      }
    }
    return [...out.values()].filter((a): a is SentimentAggregateMessage => a !== undefined);
  }

  /** Keeps the newest chunks within maxPending items; the oldest are dropped, counted. */
  private hold(chunks: Chunk[]): void {
    let items = chunks.reduce((n, c) => n + c.items.length, 0);
    while (items > this.maxPending && chunks.length > 0) {
      const dropped = chunks.shift() as Chunk;
      items -= dropped.items.length;
      this.counts.dropped += dropped.items.length;
    }
    this.pending = chunks;
  }

  private async call({ id, items }: Chunk): Promise<SentimentAggregateMessage[]> {
    const client = this.live();
    const index = new Map<string, number>();
    const keys = [this.key('symbols'), this.key('seq'), this.key(`call:${id}`)];
    const args: (string | number)[] = [this.o.rolling.alpha, this.o.rolling.hoursKept, this.o.rolling.maxSymbols, items.length, MARKER_TTL_MS];
    for (const { symbol, ts, label, scores } of items) {
      let k = index.get(symbol);
      if (k === undefined) {
        k = index.size + 1;
        index.set(symbol, k);
        keys.push(this.stateKey(symbol), this.hoursKey(symbol));
      }
      // String() of a double is its shortest exact text: Lua reads back the same double.
      args.push(k, ts, LABEL_CODE[label], String(scores.bearish), String(scores.bullish), String(scores.neutral));
    }
    const reply = (await client.snSentimentAdd(keys.length, ...keys, ...args)) as [number, number, number, number, ...string[][]];
    const [evicted, unbucketed, symbols, , ...rows] = reply;
    this.counts.evicted += evicted;
    this.counts.unbucketed += unbucketed;
    this.counts.symbols = symbols;
    const symbolOf = [...index.keys()];
    const out: SentimentAggregateMessage[] = [];
    for (const [k, ema, n, ts, newest, bucket] of rows) {
      if (!ema) continue;
      const symbol = symbolOf[Number(k) - 1] as string;
      const e = Number(ema);
      const hour = Number(newest);
      out.push({ type: 'aggregate', symbol, ema: round(e), label: labelOfSentiment(e), items: Number(n), ts: Number(ts), hour: bucket ? bucketOf(hour, parseBucket(bucket as string)) : emptyBucket(hour) });
    }
    return out;
  }

  async hours(symbol: string, from: number, to: number): Promise<SentimentHourBucket[]> {
    const fields = await this.read('hours', () => this.live().hgetall(this.hoursKey(symbol)));
    return Object.entries(fields)
      .map(([h, b]) => [Number(h), b] as const)
      .filter(([h]) => h >= from && h < to)
      .sort(([a], [b]) => a - b)
      .map(([h, b]) => bucketOf(h, parseBucket(b)));
  }

  async summary(symbol: string): Promise<SentimentSummary | undefined> {
    const [ema, items, ts] = await this.read('summary', () => this.live().hmget(this.stateKey(symbol), 'ema', 'items', 'ts'));
    if (ema === null || ema === undefined) return undefined;
    const e = Number(ema);
    return { ema: round(e), label: labelOfSentiment(e), items: Number(items), ts: Number(ts) };
  }

  stats(): SentimentAggregateStats {
    return { where: 'redis', ...this.counts, pending: this.pendingCount() };
  }

  private pendingCount(): number {
    return this.pending.reduce((n, c) => n + c.items.length, 0);
  }

  private async read<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await this.bounded(run());
    } catch (err) {
      throw new SentimentAggregatesError(`the shared sentiment on ${this.o.redis.describe()} did not answer (${what}): ${(err as Error).message}`, { cause: err });
    }
  }

  private bounded<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    // A late answer (or failure) after the timeout is not this call's any more.
    p.catch(() => {});
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }

  private live(): Scripted {
    if (!this.client) throw new Error('not started');
    return this.client;
  }

  private key(name: string): string {
    return `${this.base}:${name}`;
  }

  private stateKey(symbol: string): string {
    return this.key(`s:${symbol}`);
  }

  /** The script derives it from the state key when it evicts a symbol: keep the two in step. */
  private hoursKey(symbol: string): string {
    return `${this.stateKey(symbol)}:h`;
  }

  private logSparingly(fields: object, msg: string): void {
    const now = Date.now();
    if (now - this.lastLogAt < LOG_INTERVAL_MS) return;
    this.lastLogAt = now;
    this.logger.warn(fields, msg);
  }
}

function parseBucket(text: string): Bucket {
  const [items, bearish, bullish, neutral, sumBearish, sumBullish, sumNeutral] = text.split(',').map(Number) as number[];
  return {
    items: items ?? 0,
    labels: { bearish: bearish ?? 0, bullish: bullish ?? 0, neutral: neutral ?? 0 },
    sums: { bearish: sumBearish ?? 0, bullish: sumBullish ?? 0, neutral: sumNeutral ?? 0 },
  };
}
