import { hostname } from 'node:os';
import type { Cluster, Redis } from 'ioredis';
import type { RedisFeedConnections, StreamLogger } from '../ports.js';
import { InvalidOptionError, RedisFeedError, SentimentBusyError } from '../errors.js';
import type { NewsFeed, NewsIntake } from './ports.js';

export interface RedisNewsOptions {
  redis: RedisFeedConnections;
  /** Stream key the upstream XADDs news to. */
  stream: string;
  /** Consumer group: engines in one group share the stream, each entry going to one of them. */
  group: string;
  consumer?: string;
  /** Entries per read at most (fewer when the pipeline has less room). */
  batchSize?: number;
  blockMs?: number;
  /** Entries pending this long (on any consumer) are taken over and handed in again. */
  claimIdleMs?: number;
  /** Where a group this source creates starts: `$` new entries only, `0` the whole stream. */
  newGroupStartId?: '$' | '0';
  /** Pause before reading again when the pipeline is full, or after a failed read. */
  retryDelayMs?: number;
  logger?: StreamLogger;
}

type Connection = Redis | Cluster;
type RawEntry = [id: string, fields: string[] | null];

const LOG_INTERVAL_MS = 5_000;
/** How long stop() waits for the scores of entries read; the ones not scored by then stay pending. */
const STOP_ACK_WAIT_MS = 3_000;
const silentLogger: StreamLogger = { warn: () => {}, error: () => {} };

/**
 * News from a Redis Stream through a consumer group. Each entry has the fields
 * `id symbols headline source ts`, `symbols` comma-separated
 * (`XADD supernova:news * id n-1 symbols AAPL,MSFT headline "..." source wire ts 1767225600000`).
 *
 * An entry is acknowledged only once its item was scored and handed to storage (or refused by
 * validation, which would refuse it again). When the pipeline is full the source stops reading:
 * entries wait in the stream (bounded by the upstream's MAXLEN), never in this process; a batch
 * refused as busy is held (at most batchSize entries) and offered again. A batch whose scoring
 * failed stays pending and is claimed again after claimIdleMs: delivery is at least once.
 */
export class RedisNews implements NewsFeed {
  readonly name = 'redis' as const;
  readonly consumer: string;
  private readonly batchSize: number;
  private readonly blockMs: number;
  private readonly claimIdleMs: number;
  private readonly retryDelayMs: number;
  private readonly logger: StreamLogger;
  private command: Connection | undefined;
  private blocking: Connection | undefined;
  private loop: { active: boolean; done: Promise<void> } | undefined;
  /** Acknowledgements waiting for their entries' scores. */
  private readonly acks = new Set<Promise<void>>();
  private ackedCount = 0;
  private claimedCount = 0;
  private readErrorCount = 0;
  private pausedCount = 0;
  private readonly lastLogAt = new Map<string, number>();

  constructor(private readonly o: RedisNewsOptions) {
    this.consumer = o.consumer ?? `${hostname()}-${process.pid}`;
    this.batchSize = positiveInt('batchSize', o.batchSize ?? 100);
    this.blockMs = positiveInt('blockMs', o.blockMs ?? 1_000);
    this.claimIdleMs = positiveInt('claimIdleMs', o.claimIdleMs ?? 30_000);
    this.retryDelayMs = positiveInt('retryDelayMs', o.retryDelayMs ?? 100);
    this.logger = o.logger ?? silentLogger;
    for (const [name, value] of [['stream', o.stream], ['group', o.group], ['consumer', this.consumer]] as const) {
      if (!value) throw new InvalidOptionError(name, 'must not be empty');
    }
  }

  /** Entries acknowledged (scored and stored, or refused). */
  get acked(): number {
    return this.ackedCount;
  }
  get claimed(): number {
    return this.claimedCount;
  }
  get readErrors(): number {
    return this.readErrorCount;
  }
  /** Times reading paused because the pipeline was full. */
  get paused(): number {
    return this.pausedCount;
  }

  async start(intake: NewsIntake): Promise<void> {
    const command = this.connect('command');
    const blocking = this.connect('blocking');
    try {
      await Promise.all([this.o.redis.connect(command), this.o.redis.connect(blocking)]);
      await command.call('XGROUP', 'CREATE', this.o.stream, this.o.group, this.o.newGroupStartId ?? '$', 'MKSTREAM').catch((err: unknown) => {
        if (!String((err as Error).message).startsWith('BUSYGROUP')) throw err;
      });
    } catch (err) {
      command.disconnect();
      blocking.disconnect();
      throw new RedisFeedError(`redis news source cannot start on ${this.o.redis.describe()}, stream ${this.o.stream}, group ${this.o.group}: ${(err as Error).message}`, { cause: err });
    }
    this.command = command;
    this.blocking = blocking;
    const loop = { active: true, done: Promise.resolve() };
    loop.done = this.readLoop(command, blocking, intake, loop);
    this.loop = loop;
  }

  async stop(): Promise<void> {
    const loop = this.loop;
    this.loop = undefined;
    if (loop) loop.active = false;
    this.blocking?.disconnect();
    await loop?.done;
    // The pipeline goes on scoring meanwhile: what it finishes soon is acknowledged, the rest stays pending.
    if (this.acks.size > 0) await Promise.race([Promise.allSettled([...this.acks]), delay(STOP_ACK_WAIT_MS)]);
    const command = this.command;
    this.command = undefined;
    this.blocking = undefined;
    if (command?.status === 'ready') await command.quit().catch(() => command.disconnect());
    else command?.disconnect();
  }

  private async readLoop(command: Connection, blocking: Connection, intake: NewsIntake, loop: { active: boolean }): Promise<void> {
    let lastClaimAt = Number.NEGATIVE_INFINITY;
    let ownPendingDone = false;
    while (loop.active) {
      const room = intake.room();
      if (room < 1) {
        this.pausedCount++;
        await delay(this.retryDelayMs);
        continue;
      }
      try {
        if (Date.now() - lastClaimAt >= this.claimIdleMs) {
          lastClaimAt = Date.now();
          await this.claim(command, intake, loop);
        }
        const count = Math.min(this.batchSize, room);
        const reply = ownPendingDone
          ? await blocking.call('XREADGROUP', 'GROUP', this.o.group, this.consumer, 'COUNT', count, 'BLOCK', this.blockMs, 'STREAMS', this.o.stream, '>')
          : await blocking.call('XREADGROUP', 'GROUP', this.o.group, this.consumer, 'COUNT', count, 'STREAMS', this.o.stream, '0');
        const entries = readEntries(reply);
        if (!ownPendingDone && entries.length < count) ownPendingDone = true;
        await this.handOver(command, entries, intake, loop);
      } catch (err) {
        if (!loop.active) return;
        this.readErrorCount++;
        this.logSparingly('read', { err, stream: this.o.stream, readErrors: this.readErrorCount }, 'redis news read failed; retrying');
        await delay(this.retryDelayMs);
      }
    }
  }

  private async claim(command: Connection, intake: NewsIntake, loop: { active: boolean }): Promise<void> {
    let cursor = '0-0';
    do {
      const reply = (await command.call('XAUTOCLAIM', this.o.stream, this.o.group, this.consumer, this.claimIdleMs, cursor, 'COUNT', Math.max(1, Math.min(this.batchSize, intake.room())))) as [string, RawEntry[] | null, ...unknown[]];
      cursor = reply[0];
      const entries = (reply[1] ?? []).filter((e): e is RawEntry => Array.isArray(e));
      this.claimedCount += entries.length;
      await this.handOver(command, entries, intake, loop);
    } while (cursor !== '0-0' && loop.active);
  }

  /**
   * Offers the entries' items until the pipeline takes them (the pipeline full: pause and offer
   * again), then reads on; each batch is acknowledged once its items are scored and stored.
   */
  private async handOver(command: Connection, entries: RawEntry[], intake: NewsIntake, loop: { active: boolean }): Promise<void> {
    if (entries.length === 0) return;
    const items = entries.map(([, fields]) => (fields ? entryItem(fields) : null));
    let done: Promise<void>;
    for (;;) {
      try {
        ({ done } = intake.submit(items, 'redis', 'all-or-none'));
        break;
      } catch (err) {
        // Anything but busy (stopped): leave the entries pending, for the next reader.
        if (!(err instanceof SentimentBusyError) || !loop.active) return;
        this.pausedCount++;
        await delay(this.retryDelayMs);
      }
    }
    const ack = done.then(
      async () => {
        await command.call('XACK', this.o.stream, this.o.group, ...entries.map(([id]) => id));
        this.ackedCount += entries.length;
      },
      (err: unknown) => this.logSparingly('score', { err, entries: entries.length }, 'redis news entries not scored; left pending, to be claimed again'),
    ).catch((err: unknown) => {
      this.readErrorCount++;
      this.logSparingly('ack', { err, entries: entries.length }, 'redis news acknowledgement failed; the entries will be claimed again');
    }).finally(() => this.acks.delete(ack));
    this.acks.add(ack);
  }

  private connect(role: string): Connection {
    const redis = this.o.redis.command(`news-${role}-${this.consumer}`, { lazyConnect: true, connectTimeout: 5_000, protocol: 2 });
    redis.on('error', (err: Error) => this.logSparingly(`connection-${role}`, { err, role }, 'redis news connection error; reconnecting'));
    return redis;
  }

  private logSparingly(kind: string, fields: object, msg: string): void {
    const now = Date.now();
    if (now - (this.lastLogAt.get(kind) ?? Number.NEGATIVE_INFINITY) < LOG_INTERVAL_MS) return;
    this.lastLogAt.set(kind, now);
    this.logger.warn(fields, msg);
  }
}

/** An entry's fields as a news object for validation (which refuses what is missing or wrong). */
export function entryItem(fields: readonly string[]): Record<string, unknown> {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i] as string] = fields[i + 1] as string;
  const ts = f.ts === undefined || f.ts.trim() === '' ? undefined : Number(f.ts);
  return {
    id: f.id,
    symbols: f.symbols === undefined ? undefined : f.symbols.split(',').map((s) => s.trim()).filter(Boolean),
    headline: f.headline,
    source: f.source,
    ts,
  };
}

function readEntries(reply: unknown): RawEntry[] {
  if (!Array.isArray(reply)) return [];
  const first = reply[0] as [string, RawEntry[]] | undefined;
  return first?.[1] ?? [];
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function positiveInt(option: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new InvalidOptionError(option, `must be an integer >= 1, got ${value}`);
  return value;
}
