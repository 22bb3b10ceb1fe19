import { availableParallelism, cpus } from 'node:os';
import type { BreakingPoint, StressLimits, StressLevel } from './analysis/breaking-point.js';
import type { LeakVerdict } from './analysis/leak-verdict.js';
import type { Stability } from './analysis/stability.js';
import type { LoadRunResult } from './run-load.js';
import type { ServerSample } from './server-sampler.js';

/** Version of the JSON result; bumped when a field changes meaning or goes away (see bench/README.md). */
export const RESULT_SCHEMA = 'supernova.loadtest/1' as const;

export type LoadtestCommand = 'quick' | 'comprehensive';

export interface StressResult extends BreakingPoint {
  limits: StressLimits;
  ladder: StressLevel[];
  /** Every level's full run (timeline, histograms), in ladder order. */
  runs: LoadRunResult[];
}

export interface EnduranceResult {
  run: LoadRunResult;
  stability: Stability;
}

export interface MemoryLeakResult {
  run: LoadRunResult;
  samples: ServerSample[];
  verdict: LeakVerdict;
}

/** The whole JSON file a run writes (`result.json`). */
export interface LoadtestResult {
  schema: typeof RESULT_SCHEMA;
  command: LoadtestCommand;
  startedAt: string;
  finishedAt: string;
  /** True when Ctrl-C or a failure ended the run early: what is here was measured, the rest is missing. */
  partial: boolean;
  stopReason: string | undefined;
  machine: { cores: number; cpuModel: string; node: string; platform: string; cpuPlan: string };
  target: { wsUrl: string; startedBySuite: boolean; publishVia: 'client' | 'server-api' };
  options: Record<string, unknown>;
  load?: LoadRunResult;
  stress?: StressResult;
  endurance?: EnduranceResult;
  memoryLeak?: MemoryLeakResult;
}

/** A result with nothing measured yet: phases fill it in as they finish, so Ctrl-C keeps what was done. */
export function newResult(command: LoadtestCommand, options: object, target: { wsUrl: string; startedBySuite: boolean; apiKey: string | undefined }, cpuPlan: string): LoadtestResult {
  return {
    schema: RESULT_SCHEMA,
    command,
    startedAt: new Date().toISOString(),
    finishedAt: '',
    partial: false,
    stopReason: undefined,
    machine: { cores: availableParallelism(), cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform}-${process.arch}`, cpuPlan },
    target: { wsUrl: target.wsUrl, startedBySuite: target.startedBySuite, publishVia: target.apiKey ? 'server-api' : 'client' },
    // The API key is a secret: never written to a result file.
    options: { ...options, apiKey: undefined },
  };
}
