import { RedisServer, withRedis } from './redis-server.js';

const READY_TIMEOUT_MS = 15_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RedisSentinelOptions {
  /** The master name the sentinels monitor (SUPERNOVA_REDIS_SENTINEL_MASTER). */
  name?: string;
  /** One Sentinel (quorum 1) or three (quorum 2). */
  sentinels?: 1 | 3;
  /** The Sentinels' `requirepass` (and, with three, what they give each other: `sentinel sentinel-pass`). */
  sentinelPassword?: string;
}

/**
 * A master, one replica and one or three Sentinels monitoring it, all private redis-servers on
 * 127.0.0.1. Started, the replica is in sync and every Sentinel knows it, so failover() can
 * promote it at once.
 */
export class RedisSentinelHarness {
  private constructor(
    readonly name: string,
    /** The data servers; which is master changes with failover() (see master()). */
    readonly servers: readonly [RedisServer, RedisServer],
    readonly sentinels: readonly RedisServer[],
    /** What the harness's own checks send the Sentinels (their `requirepass`). */
    private readonly sentinelPassword: string | undefined,
  ) {}

  static async start(options: RedisSentinelOptions = {}): Promise<RedisSentinelHarness> {
    const name = options.name ?? 'supernova-test';
    const count = options.sentinels ?? 1;
    const started: RedisServer[] = [];
    const start = async (o: Parameters<typeof RedisServer.start>[0]) => {
      const s = await RedisServer.start(o);
      started.push(s);
      return s;
    };
    try {
      // Either may become master: neither waits the default 5 s for more replicas before a full sync.
      const fastSync = ['--repl-diskless-sync-delay', '0'];
      const master = await start({ args: fastSync });
      const replica = await start({ args: [...fastSync, '--replicaof', master.host, String(master.port)] });
      const directives = [
        `sentinel monitor ${name} ${master.host} ${master.port} ${count === 1 ? 1 : 2}`,
        `sentinel down-after-milliseconds ${name} 2000`,
        `sentinel failover-timeout ${name} 10000`,
        `sentinel parallel-syncs ${name} 1`,
        ...(options.sentinelPassword ? [`requirepass ${options.sentinelPassword}`, `sentinel sentinel-pass ${options.sentinelPassword}`] : []),
      ];
      const sentinels = await Promise.all(Array.from({ length: count }, () => start({ sentinel: directives })));
      const harness = new RedisSentinelHarness(name, [master, replica], sentinels, options.sentinelPassword);
      await harness.waitUntil(() => harness.notReady(master, replica, true));
      return harness;
    } catch (err) {
      await Promise.all(started.map((s) => s.stop()));
      throw err;
    }
  }

  /** The sentinel list of SUPERNOVA_REDIS_URL with SUPERNOVA_REDIS_TOPOLOGY=sentinel. */
  get url(): string {
    return this.sentinels.map((s) => s.url).join(',');
  }

  /** The port of the current master, as the first Sentinel reports it. */
  async masterPort(): Promise<number> {
    return withRedis(this.sentinels[0] as RedisServer, async (r) => {
      const [, port] = (await r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name)) as [string, string];
      return Number(port);
    }, this.sentinelPassword);
  }

  /** The data server that is master now. */
  async master(): Promise<RedisServer> {
    const port = await this.masterPort();
    const found = this.servers.find((s) => s.port === port);
    if (!found) throw new Error(`sentinel names port ${port}, not one of this harness's servers`);
    return found;
  }

  /**
   * SENTINEL FAILOVER: the replica becomes master; resolves with it once it says it is master and
   * every Sentinel names it (about a second). The old master stays a master until a Sentinel
   * turns it into a replica, some 20 s later, so only a client that listens to the Sentinels
   * (+switch-master) leaves it at once, and a second failover cannot follow soon.
   */
  async failover(): Promise<RedisServer> {
    const before = await this.master();
    const after = this.servers.find((s) => s !== before) as RedisServer;
    await withRedis(this.sentinels[0] as RedisServer, (r) => r.call('SENTINEL', 'FAILOVER', this.name), this.sentinelPassword);
    await this.waitUntil(() => this.notReady(after, before, false));
    // Until the Sentinels turn it into a replica, the old master still takes writes, which its
    // resync then drops: a write that lands there in between is lost. They do so at their next
    // look at it, up to 10 s later; this does at once what they will do, and the failover is
    // done once that window is closed.
    await withRedis(before, (r) => r.call('REPLICAOF', after.host, String(after.port)));
    await this.waitUntil(async () => {
      const role = await withRedis(before, (r) => r.call('ROLE')) as [string, ...unknown[]];
      return role[0] === 'master' ? `port ${before.port} is still a master` : undefined;
    });
    return after;
  }

  /** Stops every Sentinel and server and removes their directories. */
  async stop(): Promise<void> {
    await Promise.all([...this.sentinels, ...this.servers].map((s) => s.stop()));
  }

  private async waitUntil(notReady: () => Promise<string | undefined>): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const why = await notReady().catch((err: Error) => err.message);
      if (why === undefined) return;
      if (Date.now() > deadline) throw new Error(`sentinel setup not ready within ${READY_TIMEOUT_MS} ms: ${why}`);
      await sleep(50);
    }
  }

  /** Why `master` is not yet the master every Sentinel names (with `replica` in sync and known to them all if `inSync`). */
  private async notReady(master: RedisServer, replica: RedisServer, inSync: boolean): Promise<string | undefined> {
    const role = await withRedis(master, (r) => r.call('ROLE')) as [string, ...unknown[]];
    if (role[0] !== 'master') return `port ${master.port} is ${role[0]}`;
    if (inSync) {
      const info = String(await withRedis(replica, (r) => r.call('INFO', 'replication')));
      if (!info.includes(`master_port:${master.port}`) || !info.includes('master_link_status:up')) return `port ${replica.port} does not follow ${master.port} yet`;
    }
    for (const sentinel of this.sentinels) {
      const why = await withRedis(sentinel, async (r) => {
        const [, port] = (await r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name)) as [string, string];
        if (Number(port) !== master.port) return `sentinel ${sentinel.port} names ${port} as master`;
        if (!inSync) return undefined;
        const replicas = (await r.call('SENTINEL', 'REPLICAS', this.name)) as string[][];
        const known = replicas.map(fieldsOf).find((f) => f.port === String(replica.port));
        // A replica Sentinel may promote: seen, not down, linked to the master.
        if (!known || known.flags !== 'slave' || known['master-link-status'] !== 'ok') return `sentinel ${sentinel.port} does not know ${replica.port} as a good replica yet`;
        return undefined;
      }, this.sentinelPassword);
      if (why) return why;
    }
    return undefined;
  }
}

function fieldsOf(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i] as string] = flat[i + 1] as string;
  return out;
}

/** Starts a master, a replica and Sentinels (see RedisSentinelHarness). */
export function startRedisSentinel(options: RedisSentinelOptions = {}): Promise<RedisSentinelHarness> {
  return RedisSentinelHarness.start(options);
}
