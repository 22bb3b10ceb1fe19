import type { TimelinePoint } from '../recorder.js';
import { percentile } from '../latency-summary.js';
import { afterWarmup, linearFit } from './regression.js';

export interface StabilityCriteria {
  /** RSS may grow at most this much over the run (after warm-up), by the fitted line. */
  maxRssGrowthPct: number;
  maxErrors: number;
  /** Median p99 of the last third may exceed the first third's by at most this much. */
  maxLatencyDriftPct: number;
  warmupFraction: number;
}

export const DEFAULT_STABILITY_CRITERIA: StabilityCriteria = { maxRssGrowthPct: 5, maxErrors: 0, maxLatencyDriftPct: 50, warmupFraction: 0.2 };

export interface Stability {
  stable: boolean;
  reasons: string[];
  rssGrowthPct: number | undefined;
  errors: number;
  /** Relative change of the median per-second p99 response time, last third vs first third. */
  latencyDriftPct: number | undefined;
  firstThirdP99Ms: number | undefined;
  lastThirdP99Ms: number | undefined;
  criteria: StabilityCriteria;
}

/** The endurance verdict: memory flat, no errors, latency not drifting upwards. */
export function stability(timeline: readonly TimelinePoint[], errors: number, criteria: StabilityCriteria = DEFAULT_STABILITY_CRITERIA): Stability {
  const reasons: string[] = [];
  const rss = afterWarmup(
    timeline.filter((p) => p.serverRssMiB !== undefined).map((p) => [p.t, p.serverRssMiB ?? 0] as const),
    criteria.warmupFraction,
  );
  let rssGrowthPct: number | undefined;
  if (rss.length >= 3) {
    const fit = linearFit(rss);
    const t0 = rss[0]?.[0] ?? 0;
    const t1 = rss[rss.length - 1]?.[0] ?? 0;
    const start = fit.intercept + fit.slope * t0;
    rssGrowthPct = start > 0 ? ((fit.slope * (t1 - t0)) / start) * 100 : 0;
    if (rssGrowthPct > criteria.maxRssGrowthPct) reasons.push(`RSS grew ${rssGrowthPct.toFixed(1)} % (limit ${criteria.maxRssGrowthPct} %)`);
  }
  if (errors > criteria.maxErrors) reasons.push(`${errors} errors (limit ${criteria.maxErrors})`);
  const measured = afterWarmup(timeline.filter((p) => p.requestsPerS > 0).map((p) => [p.t, p.responseP99Ms] as const), criteria.warmupFraction);
  let latencyDriftPct: number | undefined;
  let firstThirdP99Ms: number | undefined;
  let lastThirdP99Ms: number | undefined;
  if (measured.length >= 3) {
    const third = Math.floor(measured.length / 3);
    firstThirdP99Ms = percentile(measured.slice(0, third).map(([, v]) => v), 50);
    lastThirdP99Ms = percentile(measured.slice(measured.length - third).map(([, v]) => v), 50);
    latencyDriftPct = firstThirdP99Ms > 0 ? ((lastThirdP99Ms - firstThirdP99Ms) / firstThirdP99Ms) * 100 : 0;
    if (latencyDriftPct > criteria.maxLatencyDriftPct) reasons.push(`p99 drifted ${latencyDriftPct.toFixed(0)} % (${firstThirdP99Ms.toFixed(2)} -> ${lastThirdP99Ms.toFixed(2)} ms; limit ${criteria.maxLatencyDriftPct} %)`);
  }
  return { stable: reasons.length === 0, reasons, rssGrowthPct, errors, latencyDriftPct, firstThirdP99Ms, lastThirdP99Ms, criteria };
}
