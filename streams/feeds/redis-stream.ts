import { hostname } from 'node:os';
import { Observable } from 'rxjs';
import type { Subscriber } from 'rxjs';
import type { Cluster, Redis } from 'ioredis';
import type { Feed, RedisFeedConnections, StreamLogger, Tick, TickBatch } from '../ports.js';
import { InvalidOptionError, RedisFeedError } from '../errors.js';

export interface RedisStreamFeedOptions {
  /** Where the feed's two connections come from (the engine's Redis connector). */
  redis: RedisFeedConnections;
  /** Stream key the upstream XADDs ticks to. */
  stream: string;
  /** Consumer group: engines in one group share the stream, each entry going to one of them. */
  group: string;
  /** This engine's name in the group; unique per process (default hostname-pid). */
  consumer?: string;
  /** Entries per XREADGROUP / XAUTOCLAIM. */
  batchSize?: number;
  /** How long one XREADGROUP blocks waiting for entries. */
  blockMs?: number;
  /** Entries pending this long on another consumer are taken over (that consumer is presumed dead). */
  claimIdleMs?: number;
  /** Where a group this feed creates starts: `$` new entries only, `0` the whole stream. */
  newGroupStartId?: '$' | '0';
  /** Pause after a failed read before the next try (Redis away: ioredis is reconnecting). */
  retryDelayMs?: number;
  /**
   * True while the pipeline is behind; reading pauses until it is not, and the entries wait in
   * the stream (bounded by the upstream's MAXLEN) rather than in this process.
   */
  busy?: () => boolean;
  logger?: StreamLogger;
}

/** One entry as Redis returns it: id and a flat [field, value, ...] list (null when deleted). */
type RawEntry = [id: string, fields: string[] | null];

// Repeated problems (malformed entries, a Redis outage) log once per interval, with counts.
const LOG_INTERVAL_MS = 5_000;
const silentLogger: StreamLogger = { warn: () => {}, error: () => {} };

/**
 * Ticks from a Redis Stream through a consumer group. Each entry has the fields
 * `symbol price size ts` (`XADD supernova:ticks * symbol AAPL price 189.5 size 100 ts 1767225600000`).
 *
 * Delivery is at least once: an entry is acknowledged (XACK) only after its tick was handed to the
 * pipeline, and entries another consumer read but never acknowledged (it crashed) are claimed
 * (XAUTOCLAIM) once idle for `claimIdleMs`, at start and then every `claimIdleMs`. Malformed
 * entries are counted, logged sparingly and acknowledged, so they cannot come back forever.
 *
 * Two connections: XREADGROUP BLOCK holds one, so stop() can cut it at once while the other
 * acknowledges and quits cleanly. A Redis lost while running is ioredis' to reconnect; the read
 * loop waits and resumes, and never errors the stream.
 */
type Connection = Redis | Cluster;

export class RedisStreamFeed implements Feed {
  readonly name = 'redis';
  private readonly redis: RedisFeedConnections;
  private readonly stream: string;
  private readonly group: string;
  readonly consumer: string;
  private readonly batchSize: number;
  private readonly blockMs: number;
  private readonly claimIdleMs: number;
  private readonly newGroupStartId: '$' | '0';
  private readonly retryDelayMs: number;
  private readonly busy: () => boolean;
  private readonly logger: StreamLogger;

  private command: Connection | undefined;
  private blocking: Connection | undefined;
  private readonly loops = new Set<{ active: boolean; done: Promise<void> }>();

  private deliveredCount = 0;
  private malformedCount = 0;
  private claimedCount = 0;
  private readErrorCount = 0;
  private readonly lastLogAt = new Map<string, number>();
  private readonly suppressed = new Map<string, number>();

  constructor(options: RedisStreamFeedOptions) {
    this.redis = options.redis;
    this.stream = options.stream;
    this.group = options.group;
    this.consumer = options.consumer ?? `${hostname()}-${process.pid}`;
    this.batchSize = positiveInt('batchSize', options.batchSize ?? 500);
    this.blockMs = positiveInt('blockMs', options.blockMs ?? 1_000);
    this.claimIdleMs = positiveInt('claimIdleMs', options.claimIdleMs ?? 30_000);
    this.newGroupStartId = options.newGroupStartId ?? '$';
    this.retryDelayMs = positiveInt('retryDelayMs', options.retryDelayMs ?? 500);
    this.busy = options.busy ?? (() => false);
    this.logger = options.logger ?? silentLogger;
    for (const [name, value] of [['stream', this.stream], ['group', this.group], ['consumer', this.consumer]] as const) {
      if (!value) throw new InvalidOptionError(name, 'must not be empty');
    }
  }

  /** Entries handed to the pipeline as ticks. */
  get delivered(): number {
    return this.deliveredCount;
  }
  /** Entries acknowledged without a tick: missing fields, non-numeric values, deleted. */
  get malformed(): number {
    return this.malformedCount;
  }
  /** Entries taken over from consumers that left them pending. */
  get claimed(): number {
    return this.claimedCount;
  }
  /** Failed reads, acknowledgements or claims (each retried). */
  get readErrors(): number {
    return this.readErrorCount;
  }

  /** Connects both connections and creates the group (with the stream) when missing. */
  async start(): Promise<void> {
    if (this.command) return;
    const command = this.connect('command');
    const blocking = this.connect('blocking');
    try {
      await Promise.all([this.redis.connect(command), this.redis.connect(blocking)]);
      await command.call('XGROUP', 'CREATE', this.stream, this.group, this.newGroupStartId, 'MKSTREAM').catch((err: unknown) => {
        if (!String((err as Error).message).startsWith('BUSYGROUP')) throw err;
      });
    } catch (err) {
      command.disconnect();
      blocking.disconnect();
      throw new RedisFeedError(
        `redis feed cannot start on ${this.redis.describe()}, stream ${this.stream}, group ${this.group}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    this.command = command;
    this.blocking = blocking;
  }

  /** Ends every read loop (cutting a blocked read), waits for them, and closes both connections. */
  async stop(): Promise<void> {
    for (const loop of this.loops) loop.active = false;
    this.blocking?.disconnect();
    await Promise.all([...this.loops].map((l) => l.done));
    const command = this.command;
    this.command = undefined;
    this.blocking = undefined;
    // quit() would sit in the offline queue while Redis is away; then just drop the connection.
    if (command?.status === 'ready') await command.quit().catch(() => command.disconnect());
    else command?.disconnect();
  }

  batches(): Observable<TickBatch> {
    return new Observable<TickBatch>((subscriber) => {
      const { command, blocking } = this;
      if (!command || !blocking) {
        subscriber.error(new InvalidOptionError('start', 'the redis feed must be started before its ticks are read'));
        return undefined;
      }
      const loop = { active: true, done: Promise.resolve() };
      loop.done = this.readLoop(command, blocking, subscriber, loop).finally(() => this.loops.delete(loop));
      this.loops.add(loop);
      // Entries read after this stay pending on this consumer: claimed later, never lost.
      return () => {
        loop.active = false;
      };
    });
  }

  private async readLoop(command: Connection, blocking: Connection, subscriber: Subscriber<TickBatch>, loop: { active: boolean }): Promise<void> {
    let lastClaimAt = Number.NEGATIVE_INFINITY;
    // First this consumer's own pending entries (a restart under the same name), then new ones.
    let ownPendingDone = false;
    while (loop.active) {
      if (this.busy()) {
        await delay(this.retryDelayMs);
        continue;
      }
      try {
        if (Date.now() - lastClaimAt >= this.claimIdleMs) {
          await this.claim(command, subscriber, loop);
          lastClaimAt = Date.now();
        }
        const reply = ownPendingDone
          ? await blocking.call('XREADGROUP', 'GROUP', this.group, this.consumer, 'COUNT', this.batchSize, 'BLOCK', this.blockMs, 'STREAMS', this.stream, '>')
          : await blocking.call('XREADGROUP', 'GROUP', this.group, this.consumer, 'COUNT', this.batchSize, 'STREAMS', this.stream, '0');
        const entries = readEntries(reply);
        if (!ownPendingDone && entries.length === 0) ownPendingDone = true;
        if (!loop.active) return;
        await this.deliver(command, entries, subscriber);
      } catch (err) {
        if (!loop.active) return;
        this.readErrorCount++;
        this.logSparingly('read', { err, stream: this.stream, readErrors: this.readErrorCount }, 'redis feed read failed; retrying');
        await delay(this.retryDelayMs);
      }
    }
  }

  private async claim(command: Connection, subscriber: Subscriber<TickBatch>, loop: { active: boolean }): Promise<void> {
    let cursor = '0-0';
    do {
      const reply = (await command.call('XAUTOCLAIM', this.stream, this.group, this.consumer, this.claimIdleMs, cursor, 'COUNT', this.batchSize)) as [string, RawEntry[] | null, ...unknown[]];
      cursor = reply[0];
      const entries = reply[1] ?? [];
      if (!loop.active) return;
      this.claimedCount += entries.length;
      await this.deliver(command, entries, subscriber);
    } while (cursor !== '0-0' && loop.active);
  }

  /** Hands the entries' ticks on as one batch, then acknowledges them all, malformed ones included. */
  private async deliver(command: Connection, entries: RawEntry[], subscriber: Subscriber<TickBatch>): Promise<void> {
    if (entries.length === 0) return;
    const ids: string[] = [];
    const ticks: Tick[] = [];
    for (const [id, fields] of entries) {
      ids.push(id);
      const tick = fields ? entryTick(fields) : undefined;
      if (tick) {
        ticks.push(tick);
        continue;
      }
      this.malformedCount++;
      this.logSparingly('malformed', { id, fields, stream: this.stream, malformed: this.malformedCount }, 'redis feed entry is not a tick {symbol price size ts}; acknowledged and skipped');
    }
    if (ticks.length > 0) {
      this.deliveredCount += ticks.length;
      subscriber.next(ticks);
    }
    await command.call('XACK', this.stream, this.group, ...ids);
  }

  private connect(role: string): Connection {
    const redis = this.redis.command(`feed-${role}-${this.consumer}`, {
      lazyConnect: true,
      connectTimeout: 5_000,
      // RESP2: XREADGROUP answers [[stream, entries]]; ioredis 6's RESP3 default flattens that map.
      protocol: 2,
    });
    redis.on('error', (err: Error) => this.logSparingly(`connection-${role}`, { err, role }, 'redis feed connection error; reconnecting'));
    return redis;
  }

  private logSparingly(kind: string, fields: object, msg: string): void {
    const now = Date.now();
    if (now - (this.lastLogAt.get(kind) ?? Number.NEGATIVE_INFINITY) < LOG_INTERVAL_MS) {
      this.suppressed.set(kind, (this.suppressed.get(kind) ?? 0) + 1);
      return;
    }
    this.logger.warn({ ...fields, suppressed: this.suppressed.get(kind) ?? 0 }, msg);
    this.lastLogAt.set(kind, now);
    this.suppressed.set(kind, 0);
  }
}

/** The entries of an XREADGROUP reply on one stream; null (timeout) is none. */
function readEntries(reply: unknown): RawEntry[] {
  if (!Array.isArray(reply)) return [];
  const first = reply[0] as [string, RawEntry[]] | undefined;
  return first?.[1] ?? [];
}

/** `symbol price size ts` as a tick; undefined when a field is missing or not a number. */
export function entryTick(fields: readonly string[]): Tick | undefined {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i] as string] = fields[i + 1] as string;
  const price = toNumber(f.price);
  const size = toNumber(f.size);
  const ts = toNumber(f.ts);
  if (!f.symbol || price === undefined || size === undefined || ts === undefined) return undefined;
  // Ranges (price > 0, a sane ts) are the pipeline's validation, which counts them by reason.
  return { symbol: f.symbol, price, size, ts };
}

function toNumber(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function positiveInt(option: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new InvalidOptionError(option, `must be an integer >= 1, got ${value}`);
  return value;
}
