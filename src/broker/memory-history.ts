import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { ErrorCode, ProtocolError, type Publication, type StreamPosition } from '../protocol/index.js';
import { TimedRing } from './timed-ring.js';
import type { HistoryQuery, HistoryResult } from './broker.js';

/** A publication as history keeps it: with its offset in the channel's stream. */
export type StoredPublication = Publication & { offset: number };

/** One channel's stream: an epoch, a monotonically increasing offset and the retained publications. */
class ChannelStream {
  // Eight random hex digits, as randomBytes(4) gave, from Node's pooled UUID source: a tenth of its cost per stream.
  readonly epoch = randomUUID().slice(0, 8);
  offset = 0;
  /** When this stream's idle TTL was last refreshed in the LRU. */
  touchedAt = Number.NEGATIVE_INFINITY;
  entries: TimedRing<StoredPublication>;
  constructor(size: number) {
    this.entries = new TimedRing(size);
  }
  /** Keeps epoch and offset: a namespace's history size may differ from the reserved stream's. */
  resize(size: number): void {
    const old = this.entries;
    this.entries = new TimedRing(size);
    for (let i = 0; i < old.size; i++) this.entries.push(old.at(i) as StoredPublication, old.timeAt(i));
  }
}

// Refreshing a stream's idle TTL (set) costs more than the rest of an append; a stream published
// to many times a second needs it refreshed only now and then: at most every second, and at
// least ten times per TTL, so a short TTL still never expires a stream that is being published to.
const MAX_TOUCH_EVERY_MS = 1_000;

export interface HistoryLimits {
  /** Channel streams kept at most; the least recently published is forgotten (its epoch with it). */
  maxStreams: number;
  /** A stream with no publication for this long is forgotten. */
  streamIdleTtlMs: number;
}

/**
 * In-process history. Forgetting a stream changes its epoch, which is how a client learns that
 * its position can no longer be recovered.
 */
export class MemoryHistory {
  private readonly streams: LRUCache<string, ChannelStream>;
  /**
   * Streams touched in the LRU within the last touchEveryMs, so an append skips the LRU lookup:
   * such a stream cannot be stale. A subset of `streams` (the LRU's dispose removes from it), so
   * it is bounded by the same maxStreams.
   */
  private readonly recent = new Map<string, ChannelStream>();
  private readonly touchEveryMs: number;

  constructor(limits: HistoryLimits, private readonly now: () => number = Date.now) {
    this.touchEveryMs = Math.min(MAX_TOUCH_EVERY_MS, limits.streamIdleTtlMs / 10);
    this.streams = new LRUCache({
      max: limits.maxStreams,
      ttl: limits.streamIdleTtlMs,
      updateAgeOnGet: false,
      dispose: (stream, channel) => {
        if (this.recent.get(channel) === stream) this.recent.delete(channel);
      },
    });
  }

  /**
   * Appends `pub`, giving it the stream's next offset (the caller made it for this, so it is
   * stored as is: no copy per publication); returns the stream position after it.
   */
  append(channel: string, pub: StoredPublication, size: number, ttlMs: number): StreamPosition {
    const now = this.now();
    let stream = this.recent.get(channel);
    if (!stream || now - stream.touchedAt >= this.touchEveryMs) {
      // set() moves the stream to the LRU's fresh end and restarts its idle TTL.
      stream = this.streams.get(channel) ?? new ChannelStream(size);
      this.streams.set(channel, stream);
      stream.touchedAt = now;
      this.recent.set(channel, stream);
    }
    if (stream.entries.capacity !== size) stream.resize(size);
    pub.offset = ++stream.offset;
    stream.entries.dropOlderThan(now, ttlMs);
    stream.entries.push(pub, now);
    return { offset: stream.offset, epoch: stream.epoch };
  }

  read(channel: string, query: HistoryQuery, ttlMs: number): HistoryResult {
    const stream = this.streams.get(channel, { allowStale: false });
    if (!stream) {
      // No stream yet: position 0 of a fresh epoch that the first publication will keep.
      const fresh = new ChannelStream(0);
      if (query.since && (query.since.offset > 0 || query.since.epoch !== '')) {
        throw new ProtocolError(ErrorCode.UnrecoverablePosition);
      }
      return { publications: [], offset: 0, epoch: this.reserveEpoch(channel, fresh) };
    }
    stream.entries.dropOlderThan(this.now(), ttlMs);
    const { entries } = stream;
    const oldest = entries.size > 0 ? (entries.at(0) as StoredPublication).offset : stream.offset + 1;
    let from = 0; // index into entries
    if (query.since) {
      const { offset, epoch } = query.since;
      // Recoverable only when nothing after `offset` was lost: same epoch and the next offset retained.
      if (epoch !== stream.epoch || offset > stream.offset || offset + 1 < oldest) {
        throw new ProtocolError(ErrorCode.UnrecoverablePosition);
      }
      from = offset + 1 - oldest;
    }
    const available = entries.size - from;
    const limit = query.limit === undefined || query.limit < 0 ? available : Math.min(query.limit, available);
    const publications: Publication[] = new Array(limit);
    if (query.reverse) {
      for (let i = 0; i < limit; i++) publications[i] = entries.at(entries.size - 1 - i) as StoredPublication;
    } else {
      for (let i = 0; i < limit; i++) publications[i] = entries.at(from + i) as StoredPublication;
    }
    return { publications, offset: stream.offset, epoch: stream.epoch };
  }

  remove(channel: string): void {
    this.streams.delete(channel);
  }

  // A client that read position 0 of a channel before its first publication must be able to
  // recover from it, so the epoch it saw has to be the epoch the stream starts with.
  private reserveEpoch(channel: string, stream: ChannelStream): string {
    this.streams.set(channel, stream);
    return stream.epoch;
  }

  get size(): number {
    return this.streams.size;
  }

  clear(): void {
    this.streams.clear();
  }
}
