import type { Cluster, Redis } from 'ioredis';
import { internalPackr } from '../protocol/index.js';
import type { RedisKeys } from './redis-keys.js';

/** What a node says of itself in `/api/info` (Centrifugo's node info fields). */
export interface NodeInfo {
  uid: string;
  name: string;
  version: string;
  num_clients: number;
  num_users: number;
  num_channels: number;
  num_subs: number;
  uptime: number;
}

/** Server API commands that must reach the node holding a user's connections. */
export type ControlCommand =
  | { kind: 'disconnect'; user: string; code: number; reason?: string; client?: string }
  | { kind: 'unsubscribe'; user: string; channel: string; client?: string }
  | { kind: 'subscribe'; user: string; channel: string; client?: string; data?: unknown; recoverSince?: { offset: number; epoch: string } }
  | { kind: 'refresh'; user: string; client?: string; expired?: boolean; expireAt?: number; info?: unknown };

/** A client's `/emulation` request that reached a node not holding its session (see StreamGateway). */
export interface EmulationForward { session: string; node: string; data: Uint8Array; protobuf: boolean }

/** One message of the shared control channel: a server API command for every node. */
interface Envelope { from: string; cmd?: ControlCommand }
interface Announcement { info: NodeInfo; at: number }

export interface RedisControlOptions {
  command: Redis | Cluster;
  subscriber: Redis | Cluster;
  sharded: boolean;
  keys: RedisKeys;
  uid: string;
  info: () => NodeInfo;
  /** A command another node sent. */
  onCommand: (cmd: ControlCommand) => void;
  /** An emulation request another node received for a session of this one (on this node's own channel). */
  onEmulation?: (req: EmulationForward) => void;
  /** How often this node announces itself; a node silent for three periods is gone. */
  announceMs: number;
  onError(where: string, err: unknown): void;
}

/**
 * The nodes' shared directory and command channel. Each node writes its info into one hash
 * every period; readers skip (and remove) entries not refreshed for three periods, so a killed
 * node drops out of `/api/info` by itself. Commands go over one PUB/SUB channel to every node;
 * what is meant for one node (an emulation request) over that node's own channel, which only it
 * subscribes to, so PUBLISH's count of receivers says whether the node is there at all.
 */
export class RedisControl {
  private timer: NodeJS.Timeout | undefined;
  private readonly channel: string;
  /** The channel's name as it arrives, so other channels' messages are told apart without a string each. */
  private readonly channelBytes: Buffer;
  /** This node's own channel (RedisKeys.nodeControl). */
  private readonly nodeChannel: string;
  private readonly nodeChannelBytes: Buffer;
  private readonly publishCommand: 'publish' | 'spublish';

  constructor(private readonly o: RedisControlOptions) {
    this.channel = o.keys.control();
    this.channelBytes = Buffer.from(this.channel);
    this.nodeChannel = o.keys.nodeControl(o.uid);
    this.nodeChannelBytes = Buffer.from(this.nodeChannel);
    this.publishCommand = o.sharded ? 'spublish' : 'publish';
    (o.subscriber as Redis).on(o.sharded ? 'smessageBuffer' : 'messageBuffer', (channel: Buffer, msg: Buffer) => {
      if (channel.equals(this.channelBytes)) this.receive(msg);
      else if (channel.equals(this.nodeChannelBytes)) this.receiveEmulation(msg);
    });
  }

  async start(): Promise<void> {
    const sub = this.o.subscriber as Redis;
    // One call each: on a cluster the two channels live in different slots.
    for (const channel of [this.channel, this.nodeChannel]) await (this.o.sharded ? sub.ssubscribe(channel) : sub.subscribe(channel));
    await this.announce();
    this.timer = setInterval(() => void this.announce().catch((err: unknown) => this.o.onError('redis-announce', err)), this.o.announceMs);
    this.timer.unref();
  }

  /** Leaves the directory at once (a drained node), rather than after three silent periods. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.o.command.hdel(this.o.keys.nodes(), this.o.uid).catch(() => {});
  }

  /** Sends a command to every other node. */
  async send(cmd: ControlCommand): Promise<void> {
    const envelope: Envelope = { from: this.o.uid, cmd };
    await (this.o.command as Redis)[this.publishCommand](this.channel, internalPackr.pack(envelope));
  }

  /**
   * Sends an emulation request to the node it names, on that node's channel alone; false when no
   * node of that id listens (unknown, stopped, or its connection to Redis gone).
   */
  async sendEmulation(req: EmulationForward): Promise<boolean> {
    const receivers = await (this.o.command as Redis)[this.publishCommand](this.o.keys.nodeControl(req.node), internalPackr.pack(req));
    return Number(receivers) > 0;
  }

  /** Every live node, this one first. */
  async nodes(): Promise<NodeInfo[]> {
    const flat = await (this.o.command as Redis).hgetallBuffer(this.o.keys.nodes());
    const now = Date.now();
    const out: NodeInfo[] = [this.o.info()];
    const gone: string[] = [];
    for (const [uid, packed] of Object.entries(flat)) {
      if (uid === this.o.uid) continue;
      try {
        const a = internalPackr.unpack(packed) as Announcement;
        if (now - a.at > 3 * this.o.announceMs) gone.push(uid);
        else out.push(a.info);
      } catch {
        gone.push(uid);
      }
    }
    if (gone.length > 0) await this.o.command.hdel(this.o.keys.nodes(), ...gone).catch(() => {});
    return out;
  }

  private async announce(): Promise<void> {
    const a: Announcement = { info: this.o.info(), at: Date.now() };
    await this.o.command.hset(this.o.keys.nodes(), this.o.uid, internalPackr.pack(a));
  }

  private receive(msg: Buffer): void {
    try {
      const e = internalPackr.unpack(msg) as Envelope;
      if (e.from === this.o.uid) return;
      if (e.cmd) this.o.onCommand(e.cmd);
    } catch (err) {
      this.o.onError('redis-control', err);
    }
  }

  private receiveEmulation(msg: Buffer): void {
    try {
      const req = internalPackr.unpack(msg) as EmulationForward;
      if (typeof req?.session !== 'string' || !(req.data instanceof Uint8Array)) throw new Error('malformed emulation forward');
      this.o.onEmulation?.(req);
    } catch (err) {
      this.o.onError('redis-emulation', err);
    }
  }
}
