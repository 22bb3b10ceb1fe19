import { Packr } from 'msgpackr';
import type { Redis } from 'ioredis';
import type { RedisClient, RedisConnector } from '../redis/index.js';
import { MAX_KEY_LENGTH } from './keys.js';

/** What one node tells the others to drop from their L1: keys, or every key with a prefix ('' is all). */
export type Invalidation = { keys: readonly string[] } | { prefix: string };

/** Keys one message carries at most; a larger batch is sent as several. */
export const MAX_KEYS_PER_MESSAGE = 1_000;

export interface InvalidationBusOptions {
  connector: RedisConnector;
  /** SUPERNOVA_REDIS_PREFIX: the channel is PREFIX:cache-invalidate. */
  prefix: string;
  /** This node's id: its own messages come back to it and are ignored. */
  node: string;
  /** The connection publishes go out on (L2's: no offline queue, so a publish while Redis is away fails at once). */
  publisher: () => RedisClient | undefined;
  /** Another node's invalidation. */
  onInvalidation: (inv: Invalidation) => void;
  /**
   * The subscription was lost and is back: messages sent meanwhile were missed, so L1 may hold
   * values another node has replaced.
   */
  onResubscribed: () => void;
  onConnectionError?: (err: Error) => void;
}

export interface BusStats {
  subscribed: boolean;
  sent: number;
  /** Publishes that failed (Redis away): the other nodes' L1 holds the old value until its TTL, or until they resubscribe. */
  notSent: number;
  received: number;
  /** Messages that were not an invalidation this version reads; ignored. */
  malformed: number;
  resubscribes: number;
}

interface Wire { v: 1; n: string; k?: string[]; p?: string }

/**
 * Invalidations between nodes over Redis PUB/SUB (sharded PUB/SUB on a cluster): a node that
 * sets or invalidates a key tells the others to drop it from their L1. PUB/SUB delivers at
 * most once, so a node that loses its subscription clears its whole L1 when it is back.
 */
export class InvalidationBus {
  private readonly channel: string;
  private readonly channelBytes: Buffer;
  private readonly sharded: boolean;
  private readonly packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true, moreTypes: false });
  private subscriber: RedisClient | undefined;
  private wasReady = false;
  private readonly counts = { sent: 0, notSent: 0, received: 0, malformed: 0, resubscribes: 0 };

  constructor(private readonly o: InvalidationBusOptions) {
    this.channel = `${o.prefix}:cache-invalidate`;
    this.channelBytes = Buffer.from(this.channel);
    this.sharded = o.connector.shardedPubSub;
  }

  /** Subscribes; a Redis that is down does not fail this (ioredis subscribes once it connects). */
  async start(): Promise<void> {
    if (this.subscriber) return;
    // No limit on retries: the SUBSCRIBE queued while Redis is away must wait for it, or the node would never subscribe.
    const sub = this.o.connector.subscriber('cache-invalidate', { lazyConnect: true, maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), 2_000) });
    this.subscriber = sub;
    sub.on('error', (err: Error) => this.o.onConnectionError?.(err));
    sub.on(this.sharded ? 'smessageBuffer' : 'messageBuffer', (channel: Buffer, msg: Buffer) => {
      if (channel.equals(this.channelBytes)) this.receive(msg);
    });
    sub.on('ready', () => {
      if (this.wasReady) {
        this.counts.resubscribes++;
        this.o.onResubscribed();
      }
      this.wasReady = true;
    });
    // The subscribe is queued until the connection is up, and ioredis repeats it on every reconnect.
    const subscribing = (this.sharded ? (sub as Redis).ssubscribe(this.channel) : (sub as Redis).subscribe(this.channel)).catch(() => 0);
    await this.o.connector.connect(sub).catch(() => {});
    if (sub.status === 'ready') await subscribing;
  }

  async stop(): Promise<void> {
    const sub = this.subscriber;
    this.subscriber = undefined;
    if (!sub) return;
    // quit() would wait in the offline queue for as long as Redis is away: then just drop the connection.
    if (sub.status === 'ready') await sub.quit().catch(() => sub.disconnect());
    else sub.disconnect();
  }

  get subscribed(): boolean {
    return this.subscriber?.status === 'ready';
  }

  /** Tells the other nodes; false (counted) when it could not be sent. */
  async publish(inv: Invalidation): Promise<boolean> {
    const client = this.o.publisher();
    const messages: Wire[] = 'prefix' in inv
      ? [{ v: 1, n: this.o.node, p: inv.prefix }]
      : chunks(inv.keys, MAX_KEYS_PER_MESSAGE).map((k) => ({ v: 1, n: this.o.node, k }));
    if (!client || client.status !== 'ready') {
      this.counts.notSent += messages.length;
      return false;
    }
    let ok = true;
    for (const m of messages) {
      try {
        const bytes = this.packr.pack(m);
        await (this.sharded ? (client as Redis).spublish(this.channel, bytes) : client.publish(this.channel, bytes));
        this.counts.sent++;
      } catch {
        this.counts.notSent++;
        ok = false;
      }
    }
    return ok;
  }

  stats(): BusStats {
    return { subscribed: this.subscribed, ...this.counts };
  }

  /** Anyone who can publish on the channel can send anything: only a well-formed message is acted on. */
  private receive(msg: Buffer): void {
    let m: unknown;
    try {
      m = this.packr.unpack(msg);
    } catch {
      this.counts.malformed++;
      return;
    }
    const inv = readWire(m);
    if (inv === undefined) {
      this.counts.malformed++;
      return;
    }
    if (inv.node === this.o.node) return;
    this.counts.received++;
    this.o.onInvalidation(inv.what);
  }
}

function readWire(m: unknown): { node: string; what: Invalidation } | undefined {
  if (typeof m !== 'object' || m === null) return undefined;
  const w = m as Partial<Record<keyof Wire, unknown>>;
  if (w.v !== 1 || typeof w.n !== 'string') return undefined;
  if (typeof w.p === 'string' && w.k === undefined) return w.p.length <= MAX_KEY_LENGTH ? { node: w.n, what: { prefix: w.p } } : undefined;
  if (!Array.isArray(w.k) || w.k.length > MAX_KEYS_PER_MESSAGE || w.p !== undefined) return undefined;
  for (const k of w.k) if (typeof k !== 'string' || k.length === 0 || k.length > MAX_KEY_LENGTH) return undefined;
  return { node: w.n, what: { keys: w.k as string[] } };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
