import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';

// cgroup v2, then v1. A v1 "no limit" reads as a huge number, which the min() below absorbs.
const CGROUP_LIMIT_FILES = ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes'];

/** The memory limit of this process's container, or undefined when none is set or readable. */
export function containerMemoryLimit(): number | undefined {
  for (const file of CGROUP_LIMIT_FILES) {
    try {
      const text = readFileSync(file, 'utf8').trim();
      if (text === 'max') return undefined;
      const n = Number(text);
      if (Number.isFinite(n) && n > 0) return n;
    } catch {
      // Not this cgroup version, or not Linux.
    }
  }
  return undefined;
}

/** The memory this process may use: its container's limit when set, else the machine's. */
export function machineMemoryBytes(): number {
  return Math.min(totalmem(), containerMemoryLimit() ?? Number.POSITIVE_INFINITY);
}
