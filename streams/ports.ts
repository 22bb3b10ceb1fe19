import type { Observable } from 'rxjs';
import type { Cluster, Redis } from 'ioredis';

/**
 * Where pipelines publish. The engine's broker satisfies this structurally, so streams/ never
 * imports the broker (or anything behind it) and a test can pass a recorder.
 */
export interface ChannelPublisher {
  publish(channel: string, data: unknown): Promise<unknown>;
  /** Optional: publishes before returning (throws on failure); preferred when present, it costs no promise. */
  publishSync?(channel: string, data: unknown): unknown;
}

/**
 * Where a market mirror reads the channels another node publishes. The engine's broker satisfies
 * this structurally; what it receives of them is handed to the mirror's receive().
 */
export interface ChannelFollower {
  /** Resolves once nothing published to the channel after it can be missed. */
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  /** The channel's retained publications, oldest first (newest first with `reverse`). */
  history(channel: string, query: { limit?: number; reverse?: boolean }): Promise<{ publications: readonly { data: unknown }[] }>;
}

/** One trade. `ts` is event time (ms since epoch), not the time we received it. */
export interface Tick {
  symbol: string;
  price: number;
  size: number;
  ts: number;
  /**
   * The print's trade-condition code as the source reports it (the replay feed's `condition`
   * column). Optional: only sources that have it set it, and only condition rules read it.
   */
  condition?: string;
  /** The reporting exchange's code, when the source has it. */
  exchange?: string;
}

/**
 * Ticks that arrived together, in arrival order; never empty. Feeds hand the pipeline batches
 * rather than single ticks because every step after them (validation, publication, the bars'
 * watermark, a subscriber's frame) costs per batch, not per tick, once the batch is taken apart
 * in a plain loop: a burst of trades becomes one `ticks:SYM` publication per symbol, not hundreds.
 */
export type TickBatch = readonly Tick[];

/**
 * A source of ticks. `batches()` is cold: subscribing starts the feed and unsubscribing stops it,
 * including every timer, so an engine (or a test) can be torn down without leaks. A feed batches
 * what is ready at once (a due burst of a replay, an XREADGROUP reply, an ingest request) and never
 * holds a tick back to fill a batch.
 */
export interface Feed {
  readonly name: string;
  batches(): Observable<TickBatch>;
  /** Feeds that own connections open them here, so a source that is down fails start-up. */
  start?(): Promise<void>;
  /** Releases what start() opened; called once the pipeline no longer reads `batches()`. */
  stop?(): Promise<void>;
}

/**
 * How a feed reaches Redis: the engine's connector (src/redis) satisfies this structurally, so a
 * feed works on every topology it serves (one server, Sentinel, Cluster) without knowing them.
 */
export interface RedisFeedConnections {
  /** A new connection, named for `role` (CLIENT SETNAME), not connected until connect(). */
  command(role: string, options: { lazyConnect: true; connectTimeout?: number; protocol?: 2 | 3; enableOfflineQueue?: boolean; autoResendUnfulfilledCommands?: boolean }): Redis | Cluster;
  /** Connects a lazy connection; rejects with an error that says what to check. */
  connect(client: Redis | Cluster): Promise<void>;
  /** The target with any password redacted. */
  describe(): string;
}

/** What `market:SYM` carries: the session so far for one symbol. */
export interface MarketSnapshot {
  symbol: string;
  last: number;
  change: number;
  changePct: number;
  open: number;
  high: number;
  low: number;
  volume: number;
  /** Session volume-weighted average price (every print counts), rounded to 1/10,000. */
  vwap: number;
  trades: number;
  ts: number;
}

/**
 * The slice of a logger that streams use. pino's Logger satisfies it structurally; the engine
 * passes its own instance down so pipelines never create a logger of their own.
 */
export interface StreamLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * One OHLCV bar of `bars:INTERVAL:SYM`, by event time. `start` is inclusive and `end` exclusive
 * (ms since epoch). `final: false` marks a partial update of the bar still open; the bar is
 * published once more with `final: true` when the watermark closes it.
 */
export interface Bar {
  symbol: string;
  /** The interval's name as in the channel: `1s`, `1m`. */
  interval: string;
  start: number;
  end: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  /** Volume-weighted average price of the bar's trades. */
  vwap: number;
  trades: number;
  final: boolean;
}
