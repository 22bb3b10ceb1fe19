import type { CrashDecision } from './types.js';

/**
 * The default crash policy: resume, but stop once `max` crashes fall inside
 * `windowMs`. A ring of the last `max` crash times makes each crash O(1) with
 * no allocation, and it only exists for actors that have crashed at all.
 */
export class CrashWindow {
  private readonly times: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(private readonly max: number, private readonly windowMs: number) {
    this.times = new Float64Array(max);
  }

  record(now: number): CrashDecision {
    this.times[this.next] = now;
    this.next = (this.next + 1) % this.max;
    if (this.filled < this.max) this.filled += 1;
    if (this.filled < this.max) return 'resume';
    // After advancing, `next` points at the oldest of the last `max` crashes.
    const oldest = this.times[this.next] ?? now;
    return now - oldest <= this.windowMs ? 'stop' : 'resume';
  }
}
