import type { GcKindStats, GcObserver } from './gc-observer.js';
import { openFileCount } from './open-files.js';
import { processMemory, type ProcessMemory } from './process-memory.js';
import type { ProcessSampler } from './process-sampler.js';

/** `GET /performance/metrics/resources`. Interval figures are those of the last closed metrics interval. */
export interface ResourcesReport {
  uptimeSec: number;
  cpu: { intervalMs: number; userMs: number; systemMs: number; percent: number; totalUserMs: number; totalSystemMs: number };
  memory: ProcessMemory;
  eventLoop: { lagMs: { p50: number; p99: number; max: number }; utilization: number };
  gc: { count: number; pauseMs: number; byKind: Record<string, GcKindStats> };
  handles: { openFiles: number | null; activeResources: Record<string, number> };
}

export function resourcesReport(parts: { sampler: ProcessSampler; gc: GcObserver; startedAt: number }): ResourcesReport {
  const last = parts.sampler.last;
  const total = process.cpuUsage();
  const byKind = parts.gc.stats();
  const kinds = Object.values(byKind);
  return {
    uptimeSec: (Date.now() - parts.startedAt) / 1000,
    cpu: { intervalMs: last.elapsedMs, ...last.cpu, totalUserMs: total.user / 1000, totalSystemMs: total.system / 1000 },
    memory: processMemory(),
    eventLoop: { lagMs: last.eventLoopLagMs, utilization: last.eventLoopUtilization },
    gc: { count: kinds.reduce((n, k) => n + k.count, 0), pauseMs: kinds.reduce((n, k) => n + k.pauseMs, 0), byKind },
    handles: { openFiles: openFileCount() ?? null, activeResources: countBy(process.getActiveResourcesInfo()) },
  };
}

function countBy(names: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of names) out[name] = (out[name] ?? 0) + 1;
  return out;
}
