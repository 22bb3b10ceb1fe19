import type { CpuPlan } from '../orchestrator/cpu-plan.js';
import { CpuMeter } from '../orchestrator/proc-stats.js';
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

/** Each process' CPU over an interval, in % of one core (NaN for an undefined pid, or one gone). */
export class CpuOf {
  private readonly meter: CpuMeter;

  constructor(private readonly pids: (number | undefined)[]) {
    this.meter = new CpuMeter(pids.filter((p): p is number => p !== undefined));
  }

  read(): number[] {
    const { processPct } = this.meter.read();
    return this.pids.map((pid) => (pid === undefined ? Number.NaN : processPct.get(pid)?.pct ?? Number.NaN));
  }
}
