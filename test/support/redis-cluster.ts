import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RedisServer, withRedis } from './redis-server.js';

const run = promisify(execFile);
const READY_TIMEOUT_MS = 15_000;

/** The hash-slot range one master serves. */
export interface SlotRange {
  start: number;
  end: number;
  port: number;
}

/**
 * A Redis Cluster of three masters on 127.0.0.1 (no replicas), each a private redis-server with
 * its own nodes file and bus port, joined with `redis-cli --cluster create`. Started, it is whole:
 * every node says `cluster_state:ok` and agrees on who serves each slot.
 */
export class RedisClusterHarness {
  private constructor(readonly nodes: readonly RedisServer[]) {}

  static async start(size = 3): Promise<RedisClusterHarness> {
    const nodes = await Promise.allSettled(Array.from({ length: size }, () => RedisServer.start({ cluster: true })));
    const started = nodes.flatMap((n) => (n.status === 'fulfilled' ? [n.value] : []));
    const cluster = new RedisClusterHarness(started);
    try {
      const failed = nodes.find((n) => n.status === 'rejected');
      if (failed) throw failed.reason;
      await run('redis-cli', ['--cluster', 'create', ...started.map((n) => n.address), '--cluster-replicas', '0', '--cluster-yes'], { timeout: READY_TIMEOUT_MS });
      await cluster.waitUntilWhole();
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  /** The seed list of SUPERNOVA_REDIS_URL with SUPERNOVA_REDIS_TOPOLOGY=cluster. */
  get url(): string {
    return this.nodes.map((n) => n.url).join(',');
  }

  /** Who serves which slots, as CLUSTER SLOTS tells it. */
  async slots(): Promise<SlotRange[]> {
    return withRedis(this.nodes[0] as RedisServer, async (r) => {
      const reply = (await r.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, ...unknown[]]][];
      return reply.map(([start, end, [, port]]) => ({ start, end, port })).sort((a, b) => a.start - b.start);
    });
  }

  /** The port of the master serving the key's slot. */
  async portOf(key: string): Promise<number> {
    const slot = await withRedis(this.nodes[0] as RedisServer, async (r) => Number(await r.call('CLUSTER', 'KEYSLOT', key)));
    const range = (await this.slots()).find((s) => slot >= s.start && slot <= s.end);
    if (!range) throw new Error(`no node serves slot ${slot} of ${key}`);
    return range.port;
  }

  /** Kills every node and removes their directories. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }

  private async waitUntilWhole(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const views = await Promise.all(this.nodes.map((n) => withRedis(n, async (r) => ({
        info: String(await r.call('CLUSTER', 'INFO')),
        slots: JSON.stringify(await r.call('CLUSTER', 'SLOTS')),
      }))));
      // Every node sees the whole cluster the same way, so no client is sent back and forth (MOVED).
      const ok = views.every((v) => /cluster_state:ok/.test(v.info) && /cluster_known_nodes:(\d+)/.exec(v.info)?.[1] === String(this.nodes.length));
      if (ok && new Set(views.map((v) => sortedSlots(v.slots))).size === 1) return;
      if (Date.now() > deadline) throw new Error(`cluster not ok within ${READY_TIMEOUT_MS} ms: ${views.map((v) => v.info.split('\r\n')[0]).join(', ')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function sortedSlots(json: string): string {
  const ranges = JSON.parse(json) as [number, number, [string, number]][];
  return ranges.map(([s, e, [, port]]) => `${s}-${e}@${port}`).sort().join(' ');
}

/** Starts a three-master cluster (see RedisClusterHarness). */
export function startRedisCluster(size = 3): Promise<RedisClusterHarness> {
  return RedisClusterHarness.start(size);
}
