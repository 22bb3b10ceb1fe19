export interface PoolReading {
  size: number;
  busy: number;
  queued: number;
  oldestWaitMs: number;
  /** How long since a task last waited or every worker was busy. */
  calmForMs: number;
}

export interface ScaleLimits {
  min: number;
  max: number;
  /** Grow once the oldest queued task has waited this long (or more wait than workers run). */
  upWaitMs: number;
  /** Shrink only after this long of calm: the gap between the two is the hysteresis. */
  downIdleMs: number;
}

/**
 * How many workers to add (positive) or stop (negative) now. Growth doubles at most, so a burst
 * does not jump to the maximum at once; shrinking takes one worker per interval after a calm
 * period, so a pool that just grew does not shrink between two bursts.
 */
export function scaleStep(r: PoolReading, l: ScaleLimits): number {
  if (r.size < l.min) return l.min - r.size;
  if (r.size > l.max) return l.max - r.size;
  if (r.queued > 0 && r.busy >= r.size && (r.oldestWaitMs >= l.upWaitMs || r.queued > r.size)) {
    return Math.min(l.max - r.size, Math.max(1, Math.min(r.queued, r.size)));
  }
  if (r.queued === 0 && r.size > l.min && r.busy < r.size && r.calmForMs >= l.downIdleMs) return -1;
  return 0;
}
