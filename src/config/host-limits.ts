import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';

/** Reads a file's text; injectable so the parsing below can be tested with any machine's files. */
export type ReadText = (path: string) => string;

const readText: ReadText = (path) => readFileSync(path, 'utf8');

/**
 * The process's soft open-file limit from Linux /proc; undefined elsewhere. Node raises its soft
 * limit to the hard one at start-up, so in effect this is `ulimit -Hn` of the shell that started it.
 */
export function openFileSoftLimit(read: ReadText = readText): number | undefined {
  let text: string;
  try {
    text = read('/proc/self/limits');
  } catch {
    return undefined;
  }
  const soft = /^Max open files\s+(\S+)/m.exec(text)?.[1];
  if (soft === undefined || soft === 'unlimited') return undefined;
  const n = Number(soft);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** WebSocket connections allowed where the open-file limit cannot be read (not Linux). */
export const FALLBACK_MAX_CONNECTIONS = 10_000;

/** How the descriptors of one process are shared between WebSocket clients and everything else. */
export interface OpenFileBudget {
  softLimit: number;
  /** Descriptors kept from WebSocket clients. */
  reserve: number;
  /** Default and largest allowed SUPERNOVA_MAX_CONNECTIONS. */
  maxConnections: number;
  /**
   * Client sockets of every kind (WebSocket, HTTP, and TCP connections that never sent a
   * request) the gateway lets in; one accepted beyond it is closed at once.
   */
  maxSockets: number;
}

/**
 * The reserve is what the process needs besides its WebSocket clients: HTTP connections (up to
 * 100 SSE streams by default, API calls, health probes and scrapes, refused upgrades until they
 * are closed, idle keep-alive sockets for up to uWS's 10 s), and its own descriptors (stdio,
 * libuv's and uWS's epoll and event fds, Redis and PostgreSQL connections, the replay file, the
 * /proc reads of the metrics). 256 covers that on a small limit such as the common 1,024; 10 % at
 * larger limits, because the HTTP side grows with the deployment. It never takes more than half
 * of a tiny limit, so some WebSocket clients are still served. Half the reserve may go to HTTP
 * clients (maxSockets); the other half stays with the process whatever clients do.
 */
export function openFileBudget(softLimit: number): OpenFileBudget {
  const reserve = Math.min(Math.floor(softLimit / 2), Math.max(256, Math.ceil(softLimit / 10)));
  return {
    softLimit,
    reserve,
    maxConnections: Math.max(1, softLimit - reserve),
    maxSockets: Math.max(1, softLimit - Math.ceil(reserve / 2)),
  };
}

/**
 * The memory limit of this process's cgroup (v2 `memory.max`, v1 `memory.limit_in_bytes`), or
 * undefined when none is set or it cannot be read. The process's own cgroup comes from
 * /proc/self/cgroup; inside a container that is usually the root of the mount, which is tried too.
 */
export function cgroupMemoryLimit(read: ReadText = readText, physicalBytes = totalmem()): number | undefined {
  let self = '';
  try {
    self = read('/proc/self/cgroup');
  } catch {
    // Not Linux, or no /proc: the fixed mount points below are all that is left.
  }
  const v2 = /^0::(\/\S*)$/m.exec(self)?.[1];
  const v1 = /^\d+:(?:[^:]*,)?memory(?:,[^:]*)?:(\/\S*)$/m.exec(self)?.[1];
  const candidates = [
    ...(v2 !== undefined ? [`/sys/fs/cgroup${v2 === '/' ? '' : v2}/memory.max`] : []),
    '/sys/fs/cgroup/memory.max',
    ...(v1 !== undefined ? [`/sys/fs/cgroup/memory${v1 === '/' ? '' : v1}/memory.limit_in_bytes`] : []),
    '/sys/fs/cgroup/memory/memory.limit_in_bytes',
  ];
  for (const path of new Set(candidates)) {
    let text: string;
    try {
      text = read(path).trim();
    } catch {
      continue;
    }
    if (text === 'max') return undefined;
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n <= 0) continue;
    // cgroup v1 writes "no limit" as a huge page-rounded number; any limit at or above the
    // machine's memory limits nothing either.
    return n < physicalBytes ? n : undefined;
  }
  return undefined;
}

/** The seed's memory target for one engine process, used when no container limit is set. */
export const SEED_MEMORY_TARGET_BYTES = 4 * 1024 ** 3;

/**
 * The memory one engine may plan for: the container's limit when one is set (the operator sized
 * it), else the seed's 4 GiB target, and never more than the machine has.
 */
export function memoryBudgetBytes(limit = cgroupMemoryLimit(), physicalBytes = totalmem()): number {
  return Math.min(limit ?? SEED_MEMORY_TARGET_BYTES, physicalBytes);
}
