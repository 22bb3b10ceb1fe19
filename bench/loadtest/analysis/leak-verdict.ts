import { afterWarmup, linearFit } from './regression.js';

/** One memory reading of the server: seconds since sampling began, MiB. */
export interface MemorySample {
  t: number;
  rssMiB: number | undefined;
  heapMiB: number | undefined;
}

export interface LeakCriteria {
  /** Share of the run ignored at its start (heap growth to its working size is not a leak). */
  warmupFraction: number;
  /** A leak grows at least this fast... */
  minSlopeMiBPerMin: number;
  /** ...steadily (the line explains this share of the variance)... */
  minR2: number;
  /** ...and by at least this much over the window, relative to where the line starts. */
  minGrowthPct: number;
  /** Fewer samples after warm-up than this give no verdict. */
  minSamples: number;
}

export const DEFAULT_LEAK_CRITERIA: LeakCriteria = { warmupFraction: 0.25, minSlopeMiBPerMin: 0.5, minR2: 0.6, minGrowthPct: 5, minSamples: 8 };

export interface SeriesTrend {
  series: 'rss' | 'heap';
  samples: number;
  slopeMiBPerMin: number;
  r2: number;
  growthPct: number;
  startMiB: number;
  endMiB: number;
  leaking: boolean;
}

export interface LeakVerdict {
  verdict: 'leak' | 'no-leak' | 'inconclusive';
  reason: string;
  trends: SeriesTrend[];
  criteria: LeakCriteria;
}

/**
 * The memory-leak test: a straight line through RSS and heap after warm-up. Memory that leaks
 * climbs steadily with the work done; memory that does not wobbles around a level with each GC.
 * A series is leaking when the line rises fast, fits well and adds a real share of memory.
 */
export function leakVerdict(samples: readonly MemorySample[], criteria: LeakCriteria = DEFAULT_LEAK_CRITERIA): LeakVerdict {
  const trends: SeriesTrend[] = [];
  for (const series of ['rss', 'heap'] as const) {
    const pts = samples
      .map((s) => [s.t, series === 'rss' ? s.rssMiB : s.heapMiB] as const)
      .filter((p): p is readonly [number, number] => p[1] !== undefined && Number.isFinite(p[1]));
    const window = afterWarmup(pts, criteria.warmupFraction);
    if (window.length < criteria.minSamples) continue;
    const fit = linearFit(window);
    const t0 = window[0]?.[0] ?? 0;
    const t1 = window[window.length - 1]?.[0] ?? 0;
    const startMiB = fit.intercept + fit.slope * t0;
    const endMiB = fit.intercept + fit.slope * t1;
    const slopeMiBPerMin = fit.slope * 60;
    const growthPct = startMiB > 0 ? ((endMiB - startMiB) / startMiB) * 100 : 0;
    const leaking = slopeMiBPerMin >= criteria.minSlopeMiBPerMin && fit.r2 >= criteria.minR2 && growthPct >= criteria.minGrowthPct;
    trends.push({ series, samples: window.length, slopeMiBPerMin, r2: fit.r2, growthPct, startMiB, endMiB, leaking });
  }
  if (trends.length === 0) {
    return { verdict: 'inconclusive', reason: `fewer than ${criteria.minSamples} memory samples after warm-up`, trends, criteria };
  }
  const leaks = trends.filter((t) => t.leaking);
  const describe = (t: SeriesTrend) => `${t.series} ${t.slopeMiBPerMin >= 0 ? '+' : ''}${t.slopeMiBPerMin.toFixed(2)} MiB/min (R² ${t.r2.toFixed(2)}, ${t.growthPct.toFixed(1)} % over the window)`;
  if (leaks.length > 0) return { verdict: 'leak', reason: `steady growth: ${leaks.map(describe).join('; ')}`, trends, criteria };
  return { verdict: 'no-leak', reason: `no steady growth: ${trends.map(describe).join('; ')}`, trends, criteria };
}
