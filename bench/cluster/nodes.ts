import { BenchChild } from '../orchestrator/bench-child.js';
import type { CpuPlan } from '../orchestrator/cpu-plan.js';
import { childScripts } from '../orchestrator/paths.js';
import { startServer, type ServerProcess } from '../orchestrator/server-process.js';
import type { ApiPublisherArgs, PublisherRpc } from '../shared/publisher-protocol.js';
import type { RedisRun } from './redis-run.js';

/** The one channel of both parts, in a namespace with history, as a recoverable channel on a cluster has. */
export const CHANNEL = 'bench:0';

export interface NodeSetup {
  /** `redis`: a cluster node on the run's Redis; `memory`: a node alone. */
  broker: 'redis' | 'memory';
  redis: RedisRun;
  apiKey: string;
  cpu: CpuPlan;
  maxLifetimeMs: number;
  /** Directory for V8 CPU profiles; undefined: none. */
  profileDir: string | undefined;
}

/**
 * A node's environment: what an operator would set. History on the channel (100 publications,
 * 60 s) so a cluster publication takes the whole path: offset, stream entry and PUB/SUB message in
 * one script; the memory broker keeps the same history. The HTTP rate limit of the server API is
 * off (it would cap the publisher at 1,000 requests/s). A subscriber falling behind shows as
 * latency, as in the other benchmarks, rather than being cut off: its frames queue up to 16 MiB,
 * and it has 60 s instead of 8 to answer a ping. A load process holding 16,667 sockets on a
 * shared core answers its pings late when it lags, and with the default 8 s a run lost 7,511 of
 * 50,000 subscribers to 3012 (no pong) while they were still reading.
 */
export function nodeEnv(s: Pick<NodeSetup, 'broker' | 'redis' | 'apiKey'>): Record<string, string> {
  return {
    SUPERNOVA_FEED: 'none',
    SUPERNOVA_API_KEY: s.apiKey,
    SUPERNOVA_BROKER: s.broker,
    ...(s.broker === 'redis' ? { SUPERNOVA_REDIS_URL: s.redis.url, SUPERNOVA_REDIS_PREFIX: s.redis.prefix } : {}),
    SUPERNOVA_HTTP_RATE_API: 'off',
    SUPERNOVA_MAX_BACKPRESSURE_BYTES: String(16 * 1024 * 1024),
    SUPERNOVA_PONG_TIMEOUT_MS: '60000',
    SUPERNOVA_DASHBOARD: 'false',
    SUPERNOVA_NAMESPACES: JSON.stringify([{ name: 'bench', historySize: 100, historyTtlMs: 60_000 }]),
  };
}

/** Starts one SuperNova node on the servers' cores (profiled as `LABEL.cpuprofile` when asked). */
export function startNode(s: NodeSetup, label: string): Promise<ServerProcess> {
  const nodeFlags = s.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${s.profileDir}`, `--cpu-prof-name=${label}.cpuprofile`] : [];
  return startServer('supernova', s.cpu, s.maxLifetimeMs, {}, label, { script: childScripts.clusterNode, env: nodeEnv(s), nodeFlags });
}

export interface Publisher {
  child: BenchChild<PublisherRpc>;
  pid: number;
}

/** The server API publisher, with the load (it is a backend, not a node). */
export async function startPublisher(url: string, apiKey: string, maxInFlight: number, cpu: CpuPlan, maxLifetimeMs: number): Promise<Publisher> {
  const args: ApiPublisherArgs = { maxLifetimeMs, url, maxInFlight, maxQueued: 4 * maxInFlight };
  const { child, ready } = await BenchChild.spawn<PublisherRpc, { pid: number }>({
    label: 'publisher',
    script: childScripts.apiPublisher,
    args,
    cpus: cpu.loadCpus,
    tasksetPath: cpu.tasksetPath,
    nodeFlags: [],
    readyTimeoutMs: 15_000,
    env: { SUPERNOVA_API_KEY: apiKey },
  });
  return { child, pid: ready.pid };
}

export async function stopPublisher(p: Publisher): Promise<void> {
  try {
    await p.child.request('stop', null, 10_000);
  } catch {
    // Killed below if it does not exit.
  }
  await p.child.waitExit(5000);
}
