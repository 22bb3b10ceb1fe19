import { performance } from 'node:perf_hooks';

interface Stall {
  from: number;
  to: number;
}

/** Stalls kept for elapsed(): far more than one fast-check run of the fuzz lives through. */
const KEPT = 256;

/**
 * The harness's own stalls: gaps in its event loop longer than `thresholdMs`. While the harness is
 * stalled it neither sends nor reads, so time lost there is not the engine's: the machine's VM
 * paused for a snapshot (the kernel logged one just when a run saw every duration, the API's
 * answers as well as the deliveries, take 6.2 s at once), or the harness busy generating frames.
 * elapsed() measures a span with those stalls taken out. An engine that stalls does not stop
 * this process's loop, so its stalls still count in full. Times are performance.now()
 * milliseconds: the wall clock may step when a paused VM resumes.
 */
export class PauseWatch {
  private timer: NodeJS.Timeout | undefined;
  private last = performance.now();
  private readonly stalls: Stall[] = [];
  private count = 0;
  private longest = 0;
  private total = 0;

  constructor(private readonly o: { tickMs: number; thresholdMs: number } = { tickMs: 20, thresholdMs: 500 }) {}

  start(): void {
    if (this.timer) return;
    this.last = performance.now();
    this.timer = setInterval(() => this.tick(), this.o.tickMs);
    // A watch left running must not keep the test process alive.
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** `to - from` without the harness's stalls in between, the one under way included. */
  elapsed(from: number, to: number = performance.now()): number {
    let stalled = 0;
    for (const s of this.current(to)) stalled += Math.max(0, Math.min(s.to, to) - Math.max(s.from, from));
    return Math.max(0, to - from - stalled);
  }

  get figures(): { stalls: number; longestMs: number; totalMs: number } {
    return { stalls: this.count, longestMs: Math.round(this.longest), totalMs: Math.round(this.total) };
  }

  private current(now: number): readonly Stall[] {
    // A timer due in the same turn as this tick may ask first: the gap it is in counts already.
    return this.timer && now - this.last > this.o.thresholdMs ? [...this.stalls, { from: this.last, to: now }] : this.stalls;
  }

  private tick(): void {
    const now = performance.now();
    const gap = now - this.last;
    if (gap > this.o.thresholdMs) {
      this.stalls.push({ from: this.last, to: now });
      if (this.stalls.length > KEPT) this.stalls.shift();
      this.count++;
      this.longest = Math.max(this.longest, gap);
      this.total += gap;
    }
    this.last = now;
  }
}
