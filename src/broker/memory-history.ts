import { randomUUID } from 'node:crypto';
import type { NamespaceOptions } from '../config/index.js';
import { ErrorCode, ProtocolError, type Publication, type StreamPosition } from '../protocol/index.js';
import { TimedRing } from './timed-ring.js';
import { approxBytes } from './approx-bytes.js';
import type { HistoryQuery, HistoryResult } from './broker.js';

/** A publication as history keeps it: with its offset in the channel's stream. */
export type StoredPublication = Publication & { offset: number };

/** Why history dropped publications before their TTL: each is a budget, or the memory watchdog. */
export type HistoryEviction = 'channel' | 'namespace' | 'total' | 'memory';

/** What a stream costs beyond its publications: the object, its epoch and key, 24 bytes a ring slot. */
const STREAM_BYTES = 256;
const SLOT_BYTES = 24;
/** A stored publication object and its offset, beyond its data. */
const PUBLICATION_BYTES = 64;
/**
 * Publications of a channel measured one in this many when their publisher did not measure them
 * (the pipelines'): a channel's bars or snapshots have one shape, and walking each would cost the
 * pipeline a tenth of its time. Those between are taken at the last size measured.
 */
const MEASURE_EVERY = 32;

/** One channel's stream: an epoch, a monotonically increasing offset and the retained publications. */
class ChannelStream {
  // Eight random hex digits, as randomBytes(4) gave, from Node's pooled UUID source: a tenth of its cost per stream.
  readonly epoch = randomUUID().slice(0, 8);
  offset = 0;
  /** When this stream's idle TTL was last refreshed in the LRU. */
  touchedAt = Number.NEGATIVE_INFINITY;
  entries: TimedRing<StoredPublication>;
  private lastBytes = 0;
  private unmeasured = 0;
  constructor(readonly channel: string, size: number) {
    this.entries = new TimedRing(size);
  }
  /** The bytes of a publication nobody measured (see MEASURE_EVERY); one that states its byteLength is taken at it. */
  estimate(pub: StoredPublication): number {
    // Variable-sized but cheap to size (approxBytes takes it at its word): sized every time.
    if (typeof (pub.data as { byteLength?: unknown } | null)?.byteLength === 'number') return PUBLICATION_BYTES + approxBytes(pub.data);
    if (this.unmeasured > 0) {
      this.unmeasured--;
      return this.lastBytes;
    }
    this.unmeasured = MEASURE_EVERY - 1;
    this.lastBytes = PUBLICATION_BYTES + approxBytes(pub.data) + (pub.info ? approxBytes(pub.info) : 0) + (pub.tags ? approxBytes(pub.tags) : 0);
    return this.lastBytes;
  }
  get bytes(): number {
    return STREAM_BYTES + this.channel.length + SLOT_BYTES * this.entries.slots + this.entries.weight;
  }
  /** Keeps epoch and offset: a namespace's history size may differ from the reserved stream's. */
  resize(size: number): void {
    const old = this.entries;
    this.entries = new TimedRing(size);
    for (let i = 0; i < old.size; i++) this.entries.push(old.at(i) as StoredPublication, old.timeAt(i), old.weightAt(i));
  }
}

// Refreshing a stream's idle TTL (set) costs more than the rest of an append; a stream published
// to many times a second needs it refreshed only now and then: at most every second, and at
// least ten times per TTL, so a short TTL still never expires a stream that is being published to.
const MAX_TOUCH_EVERY_MS = 1_000;

export interface HistoryLimits {
  /** Channel streams kept at most per namespace; the least recently published is forgotten (its epoch with it). */
  maxStreams: number;
  /** A stream with no publication for this long is forgotten. */
  streamIdleTtlMs: number;
  /** Bytes all streams may hold together; past it the namespace holding the most gives back first. */
  maxBytes: number;
}

/** The history options of a namespace that the store reads. */
export type StreamOptions = Pick<NamespaceOptions, 'name' | 'historySize' | 'historyTtlMs' | 'historyMaxBytes' | 'historyNamespaceMaxBytes'>;

export interface HistoryStats {
  bytes: number;
  streams: number;
  namespaces: Record<string, { bytes: number; streams: number }>;
  /** Publications dropped before their TTL, by the budget that dropped them. */
  evicted: Record<HistoryEviction, number>;
}

/**
 * The streams of one namespace, in least-recently-published order. A namespace is its own
 * partition so that its budget is its own: clients flooding `public:` channels give back their
 * own history, never the market's.
 *
 * A Map in insertion order rather than an LRU library: a stream is moved to the fresh end at most
 * once a touch period (delete and set), idle ones are found at the old end, and nothing is
 * allocated for streams that do not exist (an LRU cache sized for 100,000 entries preallocates
 * them, per namespace and per engine).
 */
class NamespaceStreams {
  /** Oldest touch first. */
  private readonly streams = new Map<string, ChannelStream>();
  bytes = 0;

  /** `account` adds a change of this namespace's bytes to its count and to the total. */
  constructor(private readonly limits: HistoryLimits, private readonly account: (delta: number) => void) {}

  get size(): number {
    return this.streams.size;
  }

  /** The channel's stream unless it has been idle past the TTL (then it is forgotten). */
  get(channel: string, now: number): ChannelStream | undefined {
    const stream = this.streams.get(channel);
    if (stream && now - stream.touchedAt > this.limits.streamIdleTtlMs) {
      this.forget(channel, stream);
      return undefined;
    }
    return stream;
  }

  /**
   * Moves the stream to the fresh end and restarts its idle TTL; forgets idle streams from the
   * old end, and the oldest past maxStreams.
   */
  touch(channel: string, stream: ChannelStream, now: number): void {
    const known = this.streams.delete(channel);
    this.streams.set(channel, stream);
    stream.touchedAt = now;
    if (!known) this.account(stream.bytes);
    for (const [oldest, s] of this.streams) {
      if (this.streams.size <= this.limits.maxStreams && now - s.touchedAt <= this.limits.streamIdleTtlMs) break;
      this.forget(oldest, s);
    }
  }

  forget(channel: string, stream = this.streams.get(channel)): void {
    if (!stream || !this.streams.delete(channel)) return;
    this.account(-stream.bytes);
  }

  clear(): void {
    for (const [channel, stream] of this.streams) this.forget(channel, stream);
  }

  /**
   * Frees the oldest thing held: the oldest publication of the least recently published stream,
   * or that stream itself once it holds none. `keep` (the stream being appended to) keeps its
   * newest publication. Undefined when nothing is left to free.
   */
  evictOne(keep: ChannelStream | undefined): { publications: number } | undefined {
    for (const [channel, stream] of this.streams) {
      if (stream === keep && stream.entries.size <= 1) continue;
      const before = stream.bytes;
      if (stream.entries.dropOldest()) {
        this.account(stream.bytes - before);
        return { publications: 1 };
      }
      this.forget(channel, stream);
      return { publications: 0 };
    }
    return undefined;
  }
}

/**
 * In-process history, bounded in streams and bytes: per channel (the namespace's
 * historyMaxBytes), per namespace (historyNamespaceMaxBytes) and in all (maxBytes); each drops
 * its oldest publications first. Forgetting a stream changes its epoch, and dropping publications
 * moves its oldest offset, which is how a client learns that its position can no longer be recovered.
 */
export class MemoryHistory {
  private readonly partitions = new Map<string, NamespaceStreams>();
  private readonly touchEveryMs: number;
  private totalBytes = 0;
  private readonly evicted: Record<HistoryEviction, number> = { channel: 0, namespace: 0, total: 0, memory: 0 };

  constructor(private readonly limits: HistoryLimits, private readonly now: () => number = Date.now) {
    this.touchEveryMs = Math.min(MAX_TOUCH_EVERY_MS, limits.streamIdleTtlMs / 10);
  }

  /**
   * Appends `pub`, whose data is about `dataBytes` bytes when its publisher measured it, giving it
   * the stream's next offset (the caller made it for this, so it is stored as is: no copy per
   * publication); returns the stream position after it.
   */
  append(channel: string, pub: StoredPublication, dataBytes: number | undefined, ns: StreamOptions): StreamPosition {
    const now = this.now();
    const part = this.partition(ns.name);
    let stream = part.get(channel, now);
    if (!stream) {
      stream = new ChannelStream(channel, ns.historySize);
      part.touch(channel, stream, now);
    } else if (now - stream.touchedAt >= this.touchEveryMs) part.touch(channel, stream, now);
    const before = stream.bytes;
    if (stream.entries.capacity !== ns.historySize) stream.resize(ns.historySize);
    pub.offset = ++stream.offset;
    stream.entries.dropOlderThan(now, ns.historyTtlMs);
    const bytes = dataBytes === undefined
      ? stream.estimate(pub)
      : PUBLICATION_BYTES + dataBytes + (pub.info ? approxBytes(pub.info) : 0) + (pub.tags ? approxBytes(pub.tags) : 0);
    stream.entries.push(pub, now, bytes);
    while (stream.entries.weight > ns.historyMaxBytes && stream.entries.size > 1) {
      stream.entries.dropOldest();
      this.evicted.channel++;
    }
    this.grow(part, stream.bytes - before);
    this.enforce(part, stream, ns.historyNamespaceMaxBytes);
    return { offset: stream.offset, epoch: stream.epoch };
  }

  read(channel: string, query: HistoryQuery, ns: StreamOptions): HistoryResult {
    const part = this.partition(ns.name);
    const stream = part.get(channel, this.now());
    if (!stream) {
      // No stream yet: position 0 of a fresh epoch that the first publication will keep.
      if (query.since && (query.since.offset > 0 || query.since.epoch !== '')) {
        throw new ProtocolError(ErrorCode.UnrecoverablePosition);
      }
      return { publications: [], offset: 0, epoch: this.reserveEpoch(part, channel) };
    }
    const before = stream.bytes;
    stream.entries.dropOlderThan(this.now(), ns.historyTtlMs);
    this.grow(part, stream.bytes - before);
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

  remove(channel: string, namespace: string): void {
    this.partitions.get(namespace)?.forget(channel);
  }

  /**
   * Gives back memory until history holds at most `keep` (0..1) of what it holds now (the memory
   * watchdog's call), oldest first from the namespace holding the most; returns the bytes freed.
   */
  shed(keep: number): number {
    const start = this.totalBytes;
    const target = start * keep;
    while (this.totalBytes > target) {
      const freed = this.largest()?.evictOne(undefined);
      if (!freed) break;
      this.evicted.memory += freed.publications;
    }
    return start - this.totalBytes;
  }

  /** Bytes held by every stream, as the budgets count them. */
  get bytes(): number {
    return this.totalBytes;
  }

  get size(): number {
    let n = 0;
    for (const part of this.partitions.values()) n += part.size;
    return n;
  }

  stats(): HistoryStats {
    const namespaces: HistoryStats['namespaces'] = {};
    for (const [name, part] of this.partitions) namespaces[name] = { bytes: part.bytes, streams: part.size };
    return { bytes: this.totalBytes, streams: this.size, namespaces, evicted: { ...this.evicted } };
  }

  clear(): void {
    for (const part of this.partitions.values()) part.clear();
    this.partitions.clear();
    this.totalBytes = 0;
  }

  private partition(namespace: string): NamespaceStreams {
    let part = this.partitions.get(namespace);
    if (!part) {
      const created = new NamespaceStreams(this.limits, (delta) => {
        created.bytes += delta;
        this.totalBytes += delta;
      });
      part = created;
      this.partitions.set(namespace, part);
    }
    return part;
  }

  private grow(part: NamespaceStreams, delta: number): void {
    if (delta !== 0) {
      part.bytes += delta;
      this.totalBytes += delta;
    }
  }

  /** The namespace's budget, then the total: each frees the oldest first, never `keep`'s newest. */
  private enforce(part: NamespaceStreams, keep: ChannelStream, namespaceMaxBytes: number | undefined): void {
    if (namespaceMaxBytes !== undefined) {
      while (part.bytes > namespaceMaxBytes) {
        const freed = part.evictOne(keep);
        if (!freed) break;
        this.evicted.namespace += freed.publications;
      }
    }
    while (this.totalBytes > this.limits.maxBytes) {
      const largest = this.largest();
      const freed = largest?.evictOne(largest === part ? keep : undefined);
      if (!freed) break;
      this.evicted.total += freed.publications;
    }
  }

  private largest(): NamespaceStreams | undefined {
    let out: NamespaceStreams | undefined;
    for (const part of this.partitions.values()) if (part.size > 0 && (!out || part.bytes > out.bytes)) out = part;
    return out;
  }

  // A client that read position 0 of a channel before its first publication must be able to
  // recover from it, so the epoch it saw has to be the epoch the stream starts with.
  private reserveEpoch(part: NamespaceStreams, channel: string): string {
    const stream = new ChannelStream(channel, 0);
    part.touch(channel, stream, this.now());
    return stream.epoch;
  }
}
