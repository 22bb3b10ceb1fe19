/**
 * Errors raised by streams/. Each has a stable `code` so the engine can map it to a wire error
 * (RPC reply, HTTP status) without matching on messages.
 */

/** A constructor or operator argument is out of range; thrown at construction, never mid-stream. */
export class InvalidOptionError extends Error {
  readonly code = 'INVALID_OPTION' as const;
  constructor(
    readonly option: string,
    detail: string,
  ) {
    super(`invalid option "${option}": ${detail}`);
    this.name = 'InvalidOptionError';
  }
}

/** `createFeed` was asked for a kind it does not know (config is a string, so check at runtime). */
export class UnknownFeedError extends Error {
  readonly code = 'UNKNOWN_FEED' as const;
  constructor(
    readonly kind: string,
    readonly known: readonly string[],
  ) {
    super(`unknown feed kind "${kind}"; valid kinds: ${known.join(', ')}`);
    this.name = 'UnknownFeedError';
  }
}

/** An RPC call's params do not have the required shape. */
export class InvalidParamsError extends Error {
  readonly code = 'INVALID_PARAMS' as const;
  constructor(message: string) {
    super(message);
    this.name = 'InvalidParamsError';
  }
}

/** Long symbol lists are cut in the message; the full list stays on `known`. */
const MAX_LISTED_SYMBOLS = 20;

/** An RPC asked about a symbol the market state has never seen. */
export class UnknownSymbolError extends Error {
  readonly code = 'UNKNOWN_SYMBOL' as const;
  constructor(
    readonly symbol: string,
    readonly known: readonly string[],
  ) {
    super(`unknown symbol "${symbol}"; ${describeKnown(known)}`);
    this.name = 'UnknownSymbolError';
  }
}

function describeKnown(known: readonly string[]): string {
  if (known.length === 0) return 'no symbols are known yet';
  const listed = known.slice(0, MAX_LISTED_SYMBOLS).join(', ');
  const more = known.length - MAX_LISTED_SYMBOLS;
  return more > 0 ? `valid symbols: ${listed} and ${more} more` : `valid symbols: ${listed}`;
}

/** A bars query named an interval the pipeline does not build. */
export class UnknownIntervalError extends Error {
  readonly code = 'UNKNOWN_INTERVAL' as const;
  constructor(
    readonly interval: string,
    readonly known: readonly string[],
  ) {
    super(`unknown interval "${interval}"; valid intervals: ${known.join(', ') || 'none (bars are off)'}`);
    this.name = 'UnknownIntervalError';
  }
}

/** A pagination cursor that this server did not hand out (or that belongs to another series). */
export class InvalidCursorError extends Error {
  readonly code = 'INVALID_CURSOR' as const;
  constructor(detail: string) {
    super(`invalid cursor: ${detail}`);
    this.name = 'InvalidCursorError';
  }
}

const CLIENT_ERROR_CODES: ReadonlySet<string> = new Set(['INVALID_PARAMS', 'UNKNOWN_SYMBOL', 'UNKNOWN_INTERVAL', 'INVALID_CURSOR']);

/** Errors of streams/ queries that are the caller's fault (bad request), by their stable code. */
export function isClientError(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === 'string' && CLIENT_ERROR_CODES.has(code);
}
/** Ingest was asked to take ticks while no pipeline is reading them (not started, or stopped). */
export class IngestUnavailableError extends Error {
  readonly code = 'INGEST_UNAVAILABLE' as const;
  constructor(detail = 'the market pipeline is not started') {
    super(`tick ingest is not running: ${detail}`);
    this.name = 'IngestUnavailableError';
  }
}

/**
 * The pipeline is behind (too many publications pending), or too many submitted ticks wait for
 * their turn; the caller should retry later.
 */
export class IngestBusyError extends Error {
  readonly code = 'INGEST_BUSY' as const;
  constructor(
    readonly pending: number,
    readonly limit: number,
    what = 'publications pending',
  ) {
    super(`tick ingest is busy: ${pending} ${what} (limit ${limit}); retry shortly`);
    this.name = 'IngestBusyError';
  }
}

/** The Redis Streams feed cannot reach its Redis or set up its consumer group; `cause` is ioredis'. */
export class RedisFeedError extends Error {
  readonly code = 'REDIS_FEED_UNAVAILABLE' as const;
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'RedisFeedError';
  }
}

/** A market mirror could not read a channel it follows (at start, or catching up after a gap). */
export class MarketMirrorError extends Error {
  readonly code = 'MARKET_MIRROR' as const;
  constructor(
    readonly channel: string,
    cause: unknown,
  ) {
    super(`the market mirror cannot read ${channel}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'MarketMirrorError';
  }
}

/** Stable codes of the on-disk spill of the persistence writers. */
export type SpillErrorCode = 'SPILL_DIR_UNUSABLE' | 'SPILL_DIR_LOCKED' | 'SPILL_NOT_STARTED';

/** The spill directory cannot be used (not creatable or writable, or held by another live engine); `cause` is the file system's error. */
export class SpillError extends Error {
  constructor(readonly code: SpillErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SpillError';
  }
}

/** The sentiment pipeline's buffer cannot take a submission whole; the caller should retry later. */
export class SentimentBusyError extends Error {
  readonly code = 'SENTIMENT_BUSY' as const;
  constructor(readonly wanted: number, readonly room: number, readonly limit: number) {
    super(`the sentiment pipeline is behind: ${wanted} items do not fit the ${room} places left of its buffer (limit ${limit}); retry shortly`);
    this.name = 'SentimentBusyError';
  }
}

/** News was submitted while the sentiment pipeline is not running (not started, or stopped). */
export class SentimentUnavailableError extends Error {
  readonly code = 'SENTIMENT_UNAVAILABLE' as const;
  constructor(detail = 'the sentiment pipeline is not running') {
    super(detail);
    this.name = 'SentimentUnavailableError';
  }
}

/** The shared rolling sentiment on Redis did not answer a read; `cause` is ioredis' (or the timeout). */
export class SentimentAggregatesError extends Error {
  readonly code = 'SENTIMENT_AGGREGATES_UNAVAILABLE' as const;
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'SentimentAggregatesError';
  }
}
