import { execFileSync } from 'node:child_process';
import type { HostLimits } from './host-limits.js';

/** How the cores are shared between the server process and the load processes. */
export interface CpuPlan {
  pinned: boolean;
  tasksetPath: string | undefined;
  serverCpus: string | undefined;
  loadCpus: string | undefined;
  description: string;
}

/**
 * With two or more cores and taskset: the server (with its publisher loop) alone on CPU 0, the
 * load workers and this orchestrator on the rest. Otherwise both would migrate freely and the
 * figures would mix the server's work with the load generator's.
 */
export function planCpus(host: HostLimits, wantPinning: boolean): CpuPlan {
  const unpinned = (why: string): CpuPlan => ({
    pinned: false,
    tasksetPath: undefined,
    serverCpus: undefined,
    loadCpus: undefined,
    description: `not pinned (${why}): the OS scheduler shares ${host.cores} core(s) between the server and the load workers`,
  });
  if (!wantPinning) return unpinned('--no-pin');
  if (!host.tasksetPath) return unpinned('taskset not found');
  if (host.cores < 2) return unpinned('fewer than 2 cores');
  const serverCpus = '0';
  const loadCpus = host.cores === 2 ? '1' : `1-${host.cores - 1}`;
  try {
    // The orchestrator is idle while measuring, but its IPC and /proc reads belong with the load.
    execFileSync(host.tasksetPath, ['-a', '-p', '-c', loadCpus, String(process.pid)], { stdio: 'ignore' });
  } catch {
    return unpinned('taskset is present but not permitted here');
  }
  return {
    pinned: true,
    tasksetPath: host.tasksetPath,
    serverCpus,
    loadCpus,
    description: `taskset: server process(es) (engine or peer, with the publisher loop) on CPU ${serverCpus}; load worker process(es) and this orchestrator on CPU ${loadCpus}`,
  };
}
