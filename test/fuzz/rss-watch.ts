import type { EngineProcess } from '../support/engine-process.js';

/** Samples the engine's resident memory: the first sample, the highest and the latest. */
export class RssWatch {
  start: number | undefined;
  peak = 0;
  end: number | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly engine: EngineProcess, private readonly periodMs = 250) {}

  begin(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.periodMs);
  }

  finish(): void {
    this.sample();
    clearInterval(this.timer);
  }

  growthMb(): number {
    return this.start === undefined ? 0 : this.peak - this.start;
  }

  private sample(): void {
    const mb = this.engine.rssMb();
    if (mb === undefined) return;
    this.start ??= mb;
    this.peak = Math.max(this.peak, mb);
    this.end = mb;
  }
}
