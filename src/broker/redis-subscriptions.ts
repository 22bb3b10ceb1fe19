import type { Cluster, Redis } from 'ioredis';
import { ErrorCode, ProtocolError, type StreamPosition } from '../protocol/index.js';
import type { HistoryResult } from './broker.js';
import type { RedisKeys } from './redis-keys.js';
import { randomUUID } from 'node:crypto';
import { parseNodeMessage, syncMarker, type ChannelMessage, type NodeMessage } from './redis-wire.js';

/**
 * Messages of one channel held while its gap is filled, at most: past it the rest are dropped
 * and the gap counts as lost (positioned subscribers resubscribe and recover from the stream),
 * so a fill that takes long under a flood cannot grow memory without bound.
 */
const MAX_HELD = 10_000;

/** How long a cluster's new sharded subscriber is given to resubscribe before the streams are read. */
const RESUBSCRIBE_SETTLE_MS = 100;

/**
 * Longest a subscribe waits for sync(): a subscriber connection that does not answer (it is
 * reconnecting) delivers nothing meanwhile either, and the gap fill by offset covers it after.
 */
const SYNC_TIMEOUT_MS = 2000;

export interface RedisSubscriptionsOptions {
  keys: RedisKeys;
  /** The connection in subscriber mode; on a cluster, one with sharded subscribers. */
  subscriber: Redis | Cluster;
  sharded: boolean;
  deliver(channel: string, msg: ChannelMessage): void;
  /** SPUBLISHes a sync marker to a channel's shard channel (on a cluster, where sync() cannot PING). */
  publishMarker(pubsub: string, marker: Buffer): Promise<unknown>;
  /** The channel's publications after `since` (throws UnrecoverablePosition when they are gone). */
  missed(channel: string, since: StreamPosition): Promise<HistoryResult>;
  /** Subscribers of the channel hold a position that its stream can no longer fill. */
  onInsufficientState(channel: string): void;
  onError(where: string, err: unknown): void;
}

/** A channel this node receives: how many local subscribes want it, and where its stream stands here. */
interface Watched {
  channel: string;
  refs: number;
  ready: Promise<unknown>;
  /** The newest offset delivered here, -1 before the first. */
  last: number;
  epoch: string | undefined;
  /** Messages that arrived while a gap was being filled: delivered after it, in order. */
  held: Buffer[] | undefined;
  /** Messages were dropped because `held` was full. */
  overflowed: boolean;
  /** The gap fill under way, while `held` is set. */
  filling: Promise<void> | undefined;
}

/**
 * The node's PUB/SUB subscriptions: a Redis channel is subscribed while this node has a local
 * subscriber of it, on one subscriber connection (one per shard on a cluster). Publications are
 * delivered in offset order: PUB/SUB can lose messages (a dropped subscriber connection, an
 * output buffer limit), and a gap in offsets is filled from the stream before anything newer,
 * or reported as insufficient state when the stream no longer holds it.
 */
export class RedisSubscriptions {
  private readonly watched = new Map<string, Watched>();
  /** Messages that were not ours (another version's kind, a corrupt payload). */
  dropped = 0;
  /** Gaps found by offset and filled from the stream, and those the stream could not fill. */
  gapsFilled = 0;
  gapsLost = 0;
  /** sync() calls that gave up waiting for the subscriber connection (no answer within SYNC_TIMEOUT_MS, or an error). */
  syncTimeouts = 0;
  private lostConnection = false;
  /** One PING serves every sync() made before it is sent. */
  private barrier: Promise<void> | undefined;
  /** This node's sync markers on their way back, by token. */
  private readonly markers = new Map<string, () => void>();

  constructor(private readonly o: RedisSubscriptionsOptions) {
    const onMessage = (pubsub: Buffer, msg: Buffer) => this.onMessage(pubsub.toString(), msg);
    const sub = o.subscriber as Redis;
    sub.on(o.sharded ? 'smessageBuffer' : 'messageBuffer', onMessage);
    // A cluster's sharded subscribers (one per master) come and go on their own: '-node' when one
    // ends, 'subscribersReady' once the group has made a new one and resubscribed its channels.
    const [lost, back] = o.sharded ? ['-node', 'subscribersReady'] : ['close', 'ready'];
    sub.on(lost, () => {
      this.lostConnection = true;
    });
    sub.on(back, () => {
      if (!this.lostConnection) return;
      this.lostConnection = false;
      void this.afterReconnect();
    });
  }

  /** Resolves once this node receives the channel: nothing published after it can be missed. */
  async subscribe(channel: string): Promise<void> {
    let w = this.watched.get(channel);
    if (w) w.refs++;
    else {
      const pubsub = this.o.keys.pubsub(channel);
      const ready = this.o.sharded ? (this.o.subscriber as Redis).ssubscribe(pubsub) : (this.o.subscriber as Redis).subscribe(pubsub);
      w = { channel, refs: 1, ready, last: -1, epoch: undefined, held: undefined, overflowed: false, filling: undefined };
      this.watched.set(channel, w);
    }
    try {
      await w.ready;
    } catch (err) {
      this.unsubscribe(channel);
      throw err;
    }
  }

  unsubscribe(channel: string): void {
    const w = this.watched.get(channel);
    if (!w || --w.refs > 0) return;
    this.watched.delete(channel);
    const pubsub = this.o.keys.pubsub(channel);
    const done = this.o.sharded ? (this.o.subscriber as Redis).sunsubscribe(pubsub) : (this.o.subscriber as Redis).unsubscribe(pubsub);
    // A lost connection unsubscribes everything anyway; ioredis resubscribes only what is still wanted.
    done.catch((err: unknown) => this.o.onError('redis-unsubscribe', err));
  }

  get size(): number {
    return this.watched.size;
  }

  /**
   * Resolves once every message Redis sent this node for the channel before the call has been
   * delivered. Redis answers a PING on the subscriber connection after every message it pushed
   * there before, and a publication is appended to its stream and published in one script: so a
   * publication that a history read (made before the call) returned has then been delivered here,
   * or was published before this node subscribed and never comes. Messages held behind a gap
   * fill are delivered when the fill ends, so that is waited for too.
   *
   * A cluster's sharded subscriber cannot be sent a PING (the client sends it to any node): there
   * a marker is SPUBLISHed to the channel itself, and comes back after every message before it,
   * gap fills included (it is held behind them as they are); other nodes ignore it.
   */
  async sync(channel: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), SYNC_TIMEOUT_MS);
    });
    try {
      const done = (async () => {
        if (this.o.sharded) return this.marker(channel);
        await this.ping();
        for (let w = this.watched.get(channel); w?.filling; w = this.watched.get(channel)) await w.filling;
      })().catch((err: unknown) => {
        // A subscribe goes on without the wait rather than fail: the gap fill by offset covers a lost connection.
        this.o.onError('redis-sync', err);
        return 'timeout' as const;
      });
      if ((await Promise.race([done, timeout])) === 'timeout') this.syncTimeouts++;
    } finally {
      clearTimeout(timer);
    }
  }

  private async marker(channel: string): Promise<void> {
    if (!this.watched.has(channel)) return; // nothing is on its way: the node does not receive the channel
    const token = randomUUID();
    const back = new Promise<void>((resolve) => this.markers.set(token, resolve));
    try {
      await this.o.publishMarker(this.o.keys.pubsub(channel), syncMarker(token));
      await back;
    } finally {
      this.markers.delete(token);
    }
  }

  private ping(): Promise<void> {
    this.barrier ??= Promise.resolve().then(async () => {
      this.barrier = undefined;
      await (this.o.subscriber as Redis).ping();
    });
    return this.barrier;
  }

  private onMessage(pubsub: string, msg: Buffer): void {
    const channel = this.o.keys.channelOf(pubsub);
    const w = channel === undefined ? undefined : this.watched.get(channel);
    if (!w) return;
    if (!w.held) this.handle(w, msg);
    else if (w.held.length < MAX_HELD) w.held.push(msg);
    else {
      w.overflowed = true;
      this.dropped++;
    }
  }

  private handle(w: Watched, raw: Buffer): void {
    let msg: NodeMessage | undefined;
    try {
      msg = parseNodeMessage(raw);
    } catch (err) {
      this.o.onError('redis-message', err);
    }
    if (!msg) {
      this.dropped++;
      return;
    }
    if (msg.kind === 'sync') {
      this.markers.get(msg.token)?.();
      return;
    }
    if (msg.kind === 'pub' && msg.epoch !== undefined) {
      const offset = msg.pub.offset as number;
      if (msg.epoch === w.epoch && w.last >= 0) {
        if (offset <= w.last) return; // already delivered by a fill
        if (offset > w.last + 1) {
          w.held = [raw];
          w.filling = this.fill(w);
          return;
        }
      }
      w.last = offset;
      w.epoch = msg.epoch;
    }
    this.o.deliver(w.channel, msg);
  }

  /** Delivers what the stream holds after the last delivered offset, then what arrived meanwhile. */
  private async fill(w: Watched): Promise<void> {
    let lost = false;
    try {
      const h = await this.o.missed(w.channel, { offset: w.last, epoch: w.epoch as string });
      if (this.watched.get(w.channel) !== w) return;
      let n = 0;
      for (const pub of h.publications) {
        const offset = pub.offset as number;
        if (offset <= w.last) continue;
        w.last = offset;
        n++;
        this.o.deliver(w.channel, { kind: 'pub', pub, epoch: h.epoch });
      }
      if (n > 0) this.gapsFilled++;
    } catch (err) {
      if (!(err instanceof ProtocolError && err.code === ErrorCode.UnrecoverablePosition)) this.o.onError('redis-gap-fill', err);
      lost = true;
    }
    // What was held is incomplete once some of it was dropped: the stream has it, the subscribers recover it.
    const held = w.overflowed ? [] : (w.held ?? []);
    if (w.overflowed) lost = true;
    w.overflowed = false;
    w.held = undefined;
    w.filling = undefined;
    if (lost) this.lose(w);
    for (let i = 0; i < held.length; i++) {
      // Handling one may find the next gap: the rest then wait behind that fill.
      const waiting = w.held as Buffer[] | undefined;
      if (waiting) waiting.push(...held.slice(i));
      if (waiting) break;
      this.handle(w, held[i] as Buffer);
    }
  }

  /** The gap cannot be filled: whatever comes next starts the count again, and subscribers whose position it breaks are told. */
  private lose(w: Watched): void {
    this.gapsLost++;
    w.last = -1;
    w.epoch = undefined;
    this.o.onInsufficientState(w.channel);
  }

  /**
   * After a lost subscriber connection ioredis resubscribes; a PING on the same connection
   * answers after those SUBSCRIBEs, so publications after it reach this node. What was published
   * while it was away is then read from each channel's stream.
   */
  private async afterReconnect(): Promise<void> {
    try {
      // A cluster client sends PING to any node, not down the new subscriber connection: there
      // a short pause stands in for it, and a gap it misses shows at the next publication's offset.
      if (this.o.sharded) await new Promise((r) => setTimeout(r, RESUBSCRIBE_SETTLE_MS));
      else await (this.o.subscriber as Redis).ping();
    } catch (err) {
      this.o.onError('redis-resubscribe', err);
      return;
    }
    for (const w of this.watched.values()) {
      if (w.last < 0 || w.held) continue;
      w.held = [];
      w.filling = this.fill(w);
    }
  }
}
