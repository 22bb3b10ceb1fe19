import { execFileSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { delimiter, join } from 'node:path';

/** What this machine allows: cores, the open-file limit, and whether processes can be pinned. */
export interface HostLimits {
  cores: number;
  /** Soft RLIMIT_NOFILE every child inherits. */
  maxOpenFiles: number;
  tasksetPath: string | undefined;
  /** Ephemeral ports per source address, from ip_local_port_range. */
  ephemeralPorts: number;
}

/** File handles a process keeps for itself beyond its sockets (stdio, IPC, epoll, libuv, /proc reads). */
export const FD_RESERVE = 1000;

/**
 * Share of one address' ephemeral ports a load run binds. A connection bound to a source address
 * gets its port from bind(), which searches for one no socket holds; Linux offers bind the ports
 * of one parity first (half the range), and the search slows sharply as that half fills. Binding
 * 25,000 connections per address (most of the range) made a 50,000-connection ramp take minutes
 * with the load workers 90 % in the kernel; 35 % of the range (70 % of the preferred half)
 * keeps each search short: the same ramp then took 43 s.
 */
const SOURCE_PORT_SHARE = 0.35;

/**
 * Source addresses for `connections` loopback connections to one server address and port: a
 * 4-tuple needs a free ephemeral port per source address, so above one address' share the
 * connections are spread over 127.0.0.2, .3, ... (empty: the kernel's default 127.0.0.1).
 */
export function sourceAddressPlan(connections: number, host: HostLimits): { sourceAddresses: string[]; perAddress: number } {
  const perAddress = Math.max(1000, Math.floor(host.ephemeralPorts * SOURCE_PORT_SHARE));
  const sourceAddresses = connections > perAddress ? Array.from({ length: Math.ceil(connections / perAddress) }, (_, i) => `127.0.0.${i + 2}`) : [];
  return { sourceAddresses, perAddress };
}

export function readHostLimits(): HostLimits {
  return { cores: availableParallelism(), maxOpenFiles: openFileLimit(), tasksetPath: findExecutable('taskset'), ephemeralPorts: ephemeralPorts() };
}

function openFileLimit(): number {
  try {
    const out = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
    return out === 'unlimited' ? 1_048_576 : Number(out) || 1024;
  } catch {
    return 1024;
  }
}

function ephemeralPorts(): number {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return low !== undefined && high !== undefined && high > low ? high - low + 1 : 28_000;
  } catch {
    return 28_000;
  }
}

export function findExecutable(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}
