import type { CpuPlan } from '../orchestrator/cpu-plan.js';
import type { PhaseResult } from '../orchestrator/phase.js';
import { CpuMeter, softirqTimes } from '../orchestrator/proc-stats.js';
import { NOISY_PCT } from '../orchestrator/scenarios.js';
import type { ClusterOptions } from './options.js';
import type { RedisRun } from './redis-run.js';

/** What both parts of a cluster run share. */
export interface ClusterContext {
  options: ClusterOptions;
  cpu: CpuPlan;
  redis: RedisRun;
  /** The nodes' server API key, fresh per run. */
  apiKey: string;
  childLifetimeMs: number;
  sourceAddressesFor(connections: number): { sourceAddresses: string[]; perAddress: number };
  /** Where the nodes write CPU profiles (--cpu-prof), else undefined. */
  profileDir: string | undefined;
  log: (line: string) => void;
}

/**
 * Each process' CPU over an interval, in % of one core (NaN for an undefined pid, or one gone),
 * and the machine's softirq time over it, which belongs to no process.
 */
export class CpuOf {
  private readonly meter: CpuMeter;
  private readonly softirq0 = softirqTimes();

  constructor(private readonly pids: (number | undefined)[]) {
    this.meter = new CpuMeter(pids.filter((p): p is number => p !== undefined));
  }

  read(): { pct: number[]; softirqPct: number } {
    const { processPct, corePct } = this.meter.read();
    const s = softirqTimes();
    const total = s.total - this.softirq0.total;
    return {
      pct: this.pids.map((pid) => (pid === undefined ? Number.NaN : processPct.get(pid)?.pct ?? Number.NaN)),
      softirqPct: total > 0 ? ((s.softirq - this.softirq0.softirq) / total) * corePct.length * 100 : Number.NaN,
    };
  }
}

/** What a phase measured beyond its own processes: Redis, and the machine's softirq time (loopback TCP). */
export interface OutsideCpu {
  otherCpuPct: number;
  redisCpuPct: number;
  softirqPct: number;
}

/**
 * A phase's CPU that belongs to nobody of the run: other processes on the machine. Redis and
 * softirq time (where loopback TCP delivers the run's own messages) are the run's.
 */
export function noiseOf(p: OutsideCpu): number {
  const known = (v: number) => (Number.isFinite(v) ? v : 0);
  return Math.max(0, p.otherCpuPct - known(p.redisCpuPct) - known(p.softirqPct));
}

/**
 * Measures once, and once more when other processes took more than NOISY_PCT of a core (as the
 * fan-out benchmark does): the second measurement is kept, marked, whatever its own noise.
 */
export async function quietPhase<T extends PhaseResult & OutsideCpu>(label: string, log: (line: string) => void, measure: () => Promise<T>): Promise<T> {
  const first = await measure();
  const noise = noiseOf(first);
  if (noise <= NOISY_PCT) return first;
  log(`    ${label}: ${noise.toFixed(0)} % of a core went to other processes; measuring again`);
  return { ...(await measure()), repeatedAfterNoise: true };
}

/**
 * A phase with its delivered rate over the time its in-window count covers: a load process far
 * behind its sockets (a backlog at overload) serves the count request only after its current
 * reads, seconds late, and by then has counted that much more.
 */
export function withCountedRate<T extends PhaseResult>(r: T): T {
  return { ...r, deliveredPerS: r.receivedInWindow / (r.windowS + r.countLagMs / 1000) };
}
