import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/**
 * Readings from /proc, taken from the outside so the measured processes do no bookkeeping of their
 * own (process.memoryUsage() in a child near its file limit can even throw).
 */

/** Resident set size of `pid` in KiB (VmRSS), or NaN if the process is gone. */
export function rssKiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** User and system CPU time of `pid` (all threads) in clock ticks; NaN if the process is gone. */
export function cpuTicks(pid: number): { user: number; sys: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields are counted after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(fields[11]), sys: Number(fields[12]) };
  } catch {
    return { user: Number.NaN, sys: Number.NaN };
  }
}

export interface CoreTimes {
  busy: number;
  total: number;
}

/**
 * Busy and total ticks of each core from /proc/stat. Per-process times miss the loopback TCP work
 * the kernel does in softirq context on behalf of whoever is on the core; per-core busy time does not.
 */
export function coreTimes(): CoreTimes[] {
  const out: CoreTimes[] = [];
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m?.[2]) continue;
    const v = m[2].trim().split(/\s+/).map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    out[Number(m[1])] = { busy: total - idle, total };
  }
  return out;
}

/**
 * Softirq ticks of all cores (the 7th field of /proc/stat's `cpu` line) and the clock ticks of
 * the whole machine: loopback TCP's receive path runs there, counted to no process.
 */
export function softirqTimes(): { softirq: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith('cpu '));
  const v = (line ?? '').trim().split(/\s+/).slice(1).map(Number);
  return { softirq: v[6] ?? 0, total: v.slice(0, 8).reduce((a, b) => a + b, 0) };
}

let ticksPerSecond: number | undefined;

export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

export interface ProcessCpu {
  /** User + system, in % of one core. */
  pct: number;
  /** System (kernel) part alone, in % of one core: syscalls and the TCP work done in them. */
  sysPct: number;
}

/** A CPU meter over an interval: per-process % of one core, and per-core busy %. */
export class CpuMeter {
  private readonly t0 = performance.now();
  private readonly procs: Map<number, { user: number; sys: number }>;
  private readonly cores = coreTimes();

  constructor(private readonly pids: number[]) {
    this.procs = new Map(pids.map((pid) => [pid, cpuTicks(pid)]));
  }

  read(): { processPct: Map<number, ProcessCpu>; corePct: number[] } {
    const seconds = (performance.now() - this.t0) / 1000;
    const hz = clockTicksPerSecond();
    const toPct = (ticks: number) => (ticks / hz / seconds) * 100;
    const processPct = new Map<number, ProcessCpu>();
    for (const pid of this.pids) {
      const before = this.procs.get(pid) ?? { user: Number.NaN, sys: Number.NaN };
      const now = cpuTicks(pid);
      processPct.set(pid, { pct: toPct(now.user - before.user + now.sys - before.sys), sysPct: toPct(now.sys - before.sys) });
    }
    const now = coreTimes();
    const corePct = now.map((c, i) => {
      const before = this.cores[i];
      if (!before || c.total === before.total) return Number.NaN;
      return ((c.busy - before.busy) / (c.total - before.total)) * 100;
    });
    return { processPct, corePct };
  }
}
