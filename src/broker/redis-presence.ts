import type { Cluster, Redis } from 'ioredis';
import { internalPackr, restoreBinaryInfo, type ClientInfo } from '../protocol/index.js';
import type { PresenceStats } from './broker.js';
import type { RedisKeys } from './redis-keys.js';
import type { ScriptedRedis } from './redis-scripts.js';

/** Clients per refresh call: one script call per channel and chunk, auto-pipelined. */
const REFRESH_CHUNK = 500;

export interface RedisPresenceOptions {
  redis: (Redis | Cluster) & ScriptedRedis;
  keys: RedisKeys;
  /** An entry not refreshed for this long is gone (its node died). */
  ttlMs: number;
  onError(where: string, err: unknown): void;
}

/**
 * Presence in Redis: per channel a hash of client info and a sorted set of expiry times. Each
 * node refreshes the entries of its own clients every third of the TTL, so the entries of a node
 * that died lapse within a TTL and leave no ghosts; readers drop lapsed entries as they read.
 */
export class RedisPresence {
  /** This node's entries by channel, as packed: what the refresh re-adds. */
  private readonly local = new Map<string, Map<string, Buffer>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: RedisPresenceOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.refresh(), Math.max(100, Math.floor(this.o.ttlMs / 3)));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.local.clear();
  }

  async add(channel: string, info: ClientInfo): Promise<void> {
    const packed = internalPackr.pack(info);
    let clients = this.local.get(channel);
    if (!clients) this.local.set(channel, (clients = new Map()));
    clients.set(info.client, packed);
    await this.o.redis.snPresenceAdd(this.o.keys.presence(channel), this.o.keys.presenceExpiry(channel), this.o.ttlMs, info.client, packed);
  }

  async remove(channel: string, client: string): Promise<void> {
    const clients = this.local.get(channel);
    if (clients?.delete(client) && clients.size === 0) this.local.delete(channel);
    await Promise.all([this.o.redis.hdel(this.o.keys.presence(channel), client), this.o.redis.zrem(this.o.keys.presenceExpiry(channel), client)]);
  }

  async get(channel: string): Promise<Record<string, ClientInfo>> {
    const flat = await this.o.redis.snPresenceGetBuffer(this.o.keys.presence(channel), this.o.keys.presenceExpiry(channel));
    const out: Record<string, ClientInfo> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) {
      try {
        out[(flat[i] as Buffer).toString()] = restoreBinaryInfo(internalPackr.unpack(flat[i + 1] as Buffer) as ClientInfo);
      } catch (err) {
        this.o.onError('redis-presence-entry', err);
      }
    }
    return out;
  }

  async stats(channel: string): Promise<PresenceStats> {
    const clients = Object.values(await this.get(channel));
    return { num_clients: clients.length, num_users: new Set(clients.map((c) => c.user)).size };
  }

  private async refresh(): Promise<void> {
    const calls: Promise<unknown>[] = [];
    for (const [channel, clients] of this.local) {
      const args: (string | Buffer)[] = [];
      for (const [client, packed] of clients) {
        args.push(client, packed);
        if (args.length >= REFRESH_CHUNK * 2) calls.push(this.refreshCall(channel, args.splice(0)));
      }
      if (args.length > 0) calls.push(this.refreshCall(channel, args));
    }
    await Promise.all(calls);
  }

  private refreshCall(channel: string, args: (string | Buffer)[]): Promise<unknown> {
    return this.o.redis.snPresenceAdd(this.o.keys.presence(channel), this.o.keys.presenceExpiry(channel), this.o.ttlMs, ...args)
      .catch((err: unknown) => this.o.onError('redis-presence-refresh', err));
  }
}
