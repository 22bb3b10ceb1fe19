import { BenchChild } from './bench-child.js';
import type { CpuPlan } from './cpu-plan.js';
import { childScripts } from './paths.js';
import { rssKiB } from './proc-stats.js';
import type { ServerKind } from '../cli/options.js';
import type { ServerArgs, ServerReady, ServerRpc } from '../shared/server-protocol.js';
import { sleep } from './load-fleet.js';

export interface ServerProcess {
  kind: ServerKind;
  child: BenchChild<ServerRpc>;
  port: number;
  pid: number;
}

/** Another entry of the same server protocol (an engine configured from its environment), with that environment. */
export interface ServerLaunch {
  script: string;
  env: Record<string, string>;
  /** Node flags beyond --expose-gc (a CPU profile). */
  nodeFlags?: string[];
}

/**
 * Starts one server child; `extra` may fix its port (shared by several processes) or SuperNova's
 * batch limit; `launch` runs another entry than the kind's own.
 */
export async function startServer(kind: ServerKind, cpu: CpuPlan, maxLifetimeMs: number, extra: Omit<ServerArgs, 'maxLifetimeMs'> = {}, label = kind === 'raw' ? 'raw-uws' : kind, launch?: ServerLaunch): Promise<ServerProcess> {
  const args: ServerArgs = { maxLifetimeMs, ...extra };
  const { child, ready } = await BenchChild.spawn<ServerRpc, ServerReady>({
    label,
    script: launch?.script ?? childScripts[kind],
    env: launch?.env,
    args,
    cpus: cpu.serverCpus,
    tasksetPath: cpu.tasksetPath,
    // gc on request before each RSS reading, so garbage is not counted as per-connection memory.
    nodeFlags: ['--expose-gc', ...(launch?.nodeFlags ?? [])],
    readyTimeoutMs: 20_000,
  });
  return { kind, child, port: ready.port, pid: ready.pid };
}

/** RSS after a collection and a moment's quiet: the figure the per-connection memory is built on. */
export async function settledRssKiB(server: ServerProcess): Promise<number> {
  await server.child.request('gc', null, 10_000);
  await sleep(300);
  await server.child.request('gc', null, 10_000);
  await sleep(200);
  return rssKiB(server.pid);
}

export async function stopServer(server: ServerProcess): Promise<void> {
  try {
    await server.child.request('stop', null, 15_000);
  } catch {
    // Killed below if it does not exit.
  }
  await server.child.waitExit(5000);
}
