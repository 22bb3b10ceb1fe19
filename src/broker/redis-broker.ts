import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { RedisConnector } from '../redis/index.js';
import { ErrorCode, ProtocolError, type ClientInfo, type Publication, type StreamPosition } from '../protocol/index.js';
import type { Broker, HistoryQuery, HistoryResult, PresenceStats, PublishOptions } from './broker.js';
import type { NamespaceRegistry } from './channel-name.js';
import type { FanoutSink } from './fanout.js';
import { BrokerStartError, BrokerUnavailableError } from './errors.js';
import { RedisKeys } from './redis-keys.js';
import { defineScripts, type ScriptedRedis } from './redis-scripts.js';
import { RedisSubscriptions } from './redis-subscriptions.js';
import { SeenPositions } from './seen-positions.js';
import { RedisPresence } from './redis-presence.js';
import { RedisControl, type ControlCommand, type EmulationForward, type NodeInfo } from './redis-control.js';
import { packPublication, presenceMessage, unpackPublication, unpositionedMessage, type ChannelMessage } from './redis-wire.js';

export interface RedisBrokerOptions {
  namespaces: NamespaceRegistry;
  fanout: FanoutSink;
  /** Where Redis is (one server, Sentinel or a Cluster); the broker opens two connections through it. */
  connector: RedisConnector;
  /** Longest a command may wait for Redis before it fails with BrokerUnavailableError. */
  commandTimeoutMs?: number;
  /** Delay before reconnect attempt n (default: 100 ms more each time, at most 1 s). */
  retryStrategy?: (attempt: number) => number;
  /** Prefix of every key and channel (SUPERNOVA_REDIS_PREFIX): deployments and tests sharing a Redis stay apart. */
  prefix: string;
  presenceTtlMs: number;
  /** How long a stream's epoch and offset outlive its last publication. */
  metaTtlMs: number;
  onPublished?: (namespace: string) => void;
  /** A channel's stream could not fill a gap: its positioned subscribers must resubscribe. */
  onInsufficientState?: (channel: string) => void;
  onError?: (where: string, err: unknown) => void;
  /** This node in the cluster's directory and command channel. */
  node: { uid: string; info: () => NodeInfo; announceMs: number; onCommand: (cmd: ControlCommand) => void; onEmulation?: (req: EmulationForward) => void };
}

type Connection = (Redis | Cluster) & ScriptedRedis;

export interface RedisBrokerStats {
  channels: number; gapsFilled: number; gapsLost: number; dropped: number; localFallbacks: number; syncTimeouts: number;
  /** Streams found behind what this node saw of them (writes lost in a failover), restarted in a new epoch. */
  epochResets: number;
}

/** Channels whose newest position a node remembers (see SeenPositions): some 100 bytes each. */
const SEEN_CHANNELS_MAX = 100_000;

/**
 * Channels shared by every node on Redis. A publication with history is one script: next offset,
 * stream entry (XADD with MAXLEN and the namespace's TTL) and PUB/SUB message, so all nodes see
 * the same offsets in the same order and nobody receives what history lacks. Each node receives
 * a channel only while it has local subscribers, and hands what it receives to its own fan-out,
 * which encodes once per wire encoding.
 */
export class RedisBroker implements Broker {
  private readonly keys: RedisKeys;
  private readonly o: RedisBrokerOptions;
  private readonly onError: (where: string, err: unknown) => void;
  private command: Connection | undefined;
  private subscriber: Redis | Cluster | undefined;
  private subscriptions: RedisSubscriptions | undefined;
  private presence_: RedisPresence | undefined;
  private control_: RedisControl | undefined;
  private readonly publishCommand: 'publish' | 'spublish';
  /** Publications delivered only to this node's subscribers because Redis was unreachable (localWhenDown). */
  localFallbacks = 0;
  private epochResets = 0;
  private readonly seen = new SeenPositions(SEEN_CHANNELS_MAX);

  constructor(options: RedisBrokerOptions) {
    this.o = options;
    this.keys = new RedisKeys(options.prefix);
    this.onError = options.onError ?? (() => {});
    this.publishCommand = options.connector.shardedPubSub ? 'spublish' : 'publish';
  }

  /** Whether both connections are up: publishes, history and presence need one, receiving the other. */
  get connected(): boolean {
    return this.command?.status === 'ready' && this.subscriber?.status === 'ready';
  }

  /** Where the broker connects, password redacted. */
  get target(): string {
    return this.o.connector.describe();
  }

  async start(): Promise<void> {
    // Fail fast while Redis is away: no offline queue, no resend of a publish that may have run
    // (it would run twice), no command waiting past the timeout; RESP2, whose replies the scripts' readers expect.
    const options = {
      enableOfflineQueue: false, autoResendUnfulfilledCommands: false, enableAutoPipelining: true,
      commandTimeout: this.o.commandTimeoutMs ?? 5_000, protocol: 2,
      retryStrategy: this.o.retryStrategy ?? ((n: number) => Math.min(100 * n, 1_000)),
    } as const;
    const role = `broker-${this.o.node.uid.slice(0, 8)}`;
    const command = this.o.connector.command(role, options) as Connection;
    const subscriber = this.o.connector.subscriber(`${role}-sub`, { ...options, enableAutoPipelining: false });
    for (const [role, c] of [['command', command], ['subscriber', subscriber]] as const) (c as Redis).on('error', (err: unknown) => this.onError(`redis-${role}`, err));
    try {
      await Promise.all([this.o.connector.connect(command), this.o.connector.connect(subscriber)]);
    } catch (err) {
      command.disconnect();
      subscriber.disconnect();
      throw new BrokerStartError(`the Redis broker cannot reach ${this.o.connector.describe()} (SUPERNOVA_REDIS_URL): ${(err as Error).message}; set SUPERNOVA_BROKER=memory for a single node without Redis`, { cause: err });
    }
    this.command = defineScripts(command) as Connection;
    this.subscriber = subscriber;
    this.subscriptions = new RedisSubscriptions({
      keys: this.keys,
      subscriber,
      sharded: this.o.connector.shardedPubSub,
      deliver: (channel, msg) => this.deliver(channel, msg),
      publishMarker: (pubsub, marker) => (this.command as Connection).spublish(pubsub, marker),
      missed: (channel, since) => this.history(channel, { since, limit: -1 }),
      onInsufficientState: (channel) => this.o.onInsufficientState?.(channel),
      onError: this.onError,
    });
    this.presence_ = new RedisPresence({ redis: this.command, keys: this.keys, ttlMs: this.o.presenceTtlMs, onError: this.onError });
    this.presence_.start();
    this.control_ = new RedisControl({
      command, subscriber, sharded: this.o.connector.shardedPubSub, keys: this.keys,
      uid: this.o.node.uid, info: this.o.node.info, onCommand: this.o.node.onCommand, ...(this.o.node.onEmulation ? { onEmulation: this.o.node.onEmulation } : {}), announceMs: this.o.node.announceMs, onError: this.onError,
    });
    await this.control_.start();
  }

  async stop(): Promise<void> {
    this.presence_?.stop();
    this.presence_ = undefined;
    await this.control_?.stop();
    this.control_ = undefined;
    this.subscriptions = undefined;
    const connections = [this.command, this.subscriber];
    this.command = undefined;
    this.subscriber = undefined;
    await Promise.all(connections.map((c) => c?.quit().catch(() => c.disconnect())));
  }

  async subscribe(channel: string): Promise<void> {
    try {
      await this.subs().subscribe(channel);
    } catch (err) {
      throw unavailable(`cannot receive ${channel}`, err);
    }
  }

  async unsubscribe(channel: string): Promise<void> {
    this.subscriptions?.unsubscribe(channel);
  }

  async sync(channel: string): Promise<void> {
    await this.subscriptions?.sync(channel);
  }

  async publish(channel: string, data: unknown, options: PublishOptions = {}): Promise<StreamPosition | undefined> {
    const ns = this.o.namespaces.resolve(channel).options;
    const payload = packPublication(publicationOf(data, options));
    const redis = this.redis();
    try {
      if (ns.historySize > 0) {
        const seen = this.seen.get(channel);
        const [offset, epoch, reset] = await redis.snPublish(
          this.keys.stream(channel), this.keys.meta(channel),
          newEpoch(), payload, ns.historySize, ns.historyTtlMs, Math.max(this.o.metaTtlMs, ns.historyTtlMs), this.keys.pubsub(channel), this.publishCommand,
          seen?.epoch ?? '', seen?.offset ?? 0,
        );
        if (Number(reset) === 1) this.epochResets++;
        this.seen.note(channel, String(epoch), Number(offset));
        this.o.onPublished?.(ns.name);
        return { offset: Number(offset), epoch: String(epoch) };
      }
      await redis[this.publishCommand](this.keys.pubsub(channel), unpositionedMessage(payload));
      this.o.onPublished?.(ns.name);
      return undefined;
    } catch (err) {
      if (!options.localWhenDown || err instanceof ProtocolError) throw unavailable(`cannot publish to ${channel}`, err);
      this.localFallbacks++;
      this.o.fanout.publication(channel, publicationOf(data, options));
      return undefined;
    }
  }

  async history(channel: string, query: HistoryQuery): Promise<HistoryResult> {
    const ns = this.o.namespaces.resolve(channel).options;
    const limit = query.limit === undefined || query.limit < 0 ? -1 : query.limit;
    const mode = query.since ? 'since' : limit === 0 ? 'pos' : query.reverse ? 'rev' : 'fwd';
    let reply: Buffer[];
    try {
      reply = await this.redis().snHistoryBuffer(
        this.keys.stream(channel), this.keys.meta(channel),
        newEpoch(), ns.historyTtlMs, Math.max(this.o.metaTtlMs, ns.historyTtlMs), mode, limit, query.since?.offset ?? 0, query.since?.epoch ?? '',
      );
    } catch (err) {
      throw unavailable(`cannot read the history of ${channel}`, err);
    }
    if (String(reply[0]) !== 'ok') throw new ProtocolError(ErrorCode.UnrecoverablePosition);
    const publications: Publication[] = [];
    for (let i = 3; i + 1 < reply.length; i += 2) publications.push(unpackPublication(reply[i + 1] as Buffer, Number(String(reply[i]))));
    // A since-read with a limit returns the oldest missed first; reverse applies to plain reads.
    return { publications, offset: Number(String(reply[2])), epoch: String(reply[1]) };
  }

  async removeHistory(channel: string): Promise<void> {
    try {
      await this.redis().del(this.keys.stream(channel), this.keys.meta(channel));
    } catch (err) {
      throw unavailable(`cannot remove the history of ${channel}`, err);
    }
  }

  async addPresence(channel: string, info: ClientInfo): Promise<void> {
    await this.guard(`cannot add presence in ${channel}`, () => this.pres().add(channel, info));
  }

  async removePresence(channel: string, client: string): Promise<void> {
    await this.guard(`cannot remove presence in ${channel}`, () => this.pres().remove(channel, client));
  }

  async presence(channel: string): Promise<Record<string, ClientInfo>> {
    return this.guard(`cannot read presence of ${channel}`, () => this.pres().get(channel));
  }

  async presenceStats(channel: string): Promise<PresenceStats> {
    return this.guard(`cannot read presence of ${channel}`, () => this.pres().stats(channel));
  }

  async publishJoin(channel: string, info: ClientInfo): Promise<void> {
    await this.guard(`cannot publish a join to ${channel}`, () => this.redis()[this.publishCommand](this.keys.pubsub(channel), presenceMessage('join', info)));
  }

  async publishLeave(channel: string, info: ClientInfo): Promise<void> {
    await this.guard(`cannot publish a leave to ${channel}`, () => this.redis()[this.publishCommand](this.keys.pubsub(channel), presenceMessage('leave', info)));
  }

  /** An emulation request for a session of the node it names, over that node's channel; false when no such node listens. */
  async sendEmulation(req: EmulationForward): Promise<boolean> {
    const control = this.control_;
    if (!control) throw new BrokerUnavailableError('the Redis broker is not running');
    return this.guard('cannot reach the other nodes', () => control.sendEmulation(req));
  }

  /** Sends a server API command to the other nodes (this node applies it itself). */
  async sendControl(cmd: ControlCommand): Promise<void> {
    const control = this.control_;
    if (!control) throw new BrokerUnavailableError('the Redis broker is not running');
    await this.guard('cannot reach the other nodes', () => control.send(cmd));
  }

  /** The live nodes, this one first. */
  async nodes(): Promise<NodeInfo[]> {
    const control = this.control_;
    if (!control) throw new BrokerUnavailableError('the Redis broker is not running');
    return this.guard('cannot list the nodes', () => control.nodes());
  }

  /** Counters of the PUB/SUB side: channels received, gaps filled and lost, messages dropped. */
  stats(): RedisBrokerStats {
    const s = this.subscriptions;
    return { channels: s?.size ?? 0, gapsFilled: s?.gapsFilled ?? 0, gapsLost: s?.gapsLost ?? 0, dropped: s?.dropped ?? 0, localFallbacks: this.localFallbacks, syncTimeouts: s?.syncTimeouts ?? 0, epochResets: this.epochResets };
  }

  private deliver(channel: string, msg: ChannelMessage): void {
    if (msg.kind === 'pub' && msg.epoch !== undefined && msg.pub.offset !== undefined) this.seen.note(channel, msg.epoch, msg.pub.offset);
    if (msg.kind === 'pub') this.o.fanout.publication(channel, msg.pub);
    else if (msg.kind === 'join') this.o.fanout.join(channel, msg.info);
    else this.o.fanout.leave(channel, msg.info);
  }

  private async guard<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw unavailable(what, err);
    }
  }

  private redis(): Connection {
    if (!this.command) throw new BrokerUnavailableError('the Redis broker is not running');
    return this.command;
  }

  private subs(): RedisSubscriptions {
    if (!this.subscriptions) throw new BrokerUnavailableError('the Redis broker is not running');
    return this.subscriptions;
  }

  private pres(): RedisPresence {
    if (!this.presence_) throw new BrokerUnavailableError('the Redis broker is not running');
    return this.presence_;
  }
}

function publicationOf(data: unknown, options: PublishOptions): Omit<Publication, 'offset'> {
  const pub: Omit<Publication, 'offset'> = { data };
  if (options.info) pub.info = options.info;
  if (options.tags) pub.tags = options.tags;
  return pub;
}

/** Eight hex digits, as the memory broker's epochs; used only when the stream has none yet. */
function newEpoch(): string {
  return randomUUID().slice(0, 8);
}

function unavailable(what: string, err: unknown): ProtocolError {
  if (err instanceof ProtocolError) return err;
  return new BrokerUnavailableError(`${what}: Redis is unavailable (${(err as Error)?.message ?? String(err)})`, { cause: err });
}
