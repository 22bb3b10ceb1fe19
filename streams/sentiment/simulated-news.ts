import { InvalidOptionError } from '../errors.js';
import { mulberry32 } from '../feeds/prng.js';
import { HeadlineGenerator } from './headlines.js';
import type { NewsFeed, NewsIntake } from './ports.js';

export interface SimulatedNewsOptions {
  symbols: readonly string[];
  /** Headlines per minute over all symbols. */
  perMinute: number;
  /** Same seed, same headlines. Omitted: random, exposed as `seed`. */
  seed?: number;
  now?: () => number;
}

/** A timer's resolution; beyond this rate the timer could not keep up. */
const MAX_PER_MINUTE = 60_000;

/**
 * Generated headlines for the configured symbols at a configured rate (jittered gaps, mean
 * 60 s / perMinute). Its items go in with `drop-newest`: when the pipeline is full the new
 * headline is shed and counted; nothing waits for a simulated headline.
 */
export class SimulatedNews implements NewsFeed {
  readonly name = 'simulated' as const;
  readonly seed: number;
  private readonly generator: HeadlineGenerator;
  private readonly meanGapMs: number;
  private readonly now: () => number;
  private readonly random: () => number;
  private timer: NodeJS.Timeout | undefined;
  private sequence = 0;

  constructor(private readonly o: SimulatedNewsOptions) {
    if (o.symbols.length === 0) throw new InvalidOptionError('symbols', 'needs at least one symbol');
    if (!(o.perMinute > 0 && o.perMinute <= MAX_PER_MINUTE)) throw new InvalidOptionError('perMinute', `must be in (0, ${MAX_PER_MINUTE}], got ${o.perMinute}`);
    this.seed = (o.seed ?? Math.floor(Math.random() * 4294967296)) >>> 0;
    this.generator = new HeadlineGenerator([...new Set(o.symbols)], this.seed);
    this.meanGapMs = 60_000 / o.perMinute;
    this.now = o.now ?? Date.now;
    // The gaps' jitter has its own sequence, so the headlines are the same whatever the timing.
    this.random = mulberry32(this.seed ^ 0x9e3779b9);
  }

  /** The next item this source would hand in (the timer calls it; tests read it directly). */
  nextItem(): { id: string; symbols: string[]; headline: string; source: string; ts: number } {
    const h = this.generator.next();
    return { id: `sim-${this.seed.toString(16)}-${++this.sequence}`, symbols: [h.symbol], headline: h.headline, source: 'simulated', ts: this.now() };
  }

  async start(intake: NewsIntake): Promise<void> {
    const step = (): void => {
      this.timer = setTimeout(step, this.gap());
      try {
        intake.submit([this.nextItem()], 'simulated', 'drop-newest');
      } catch {
        // The pipeline stopped between two timers; stop() clears the next one.
      }
    };
    this.timer = setTimeout(step, this.gap());
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private gap(): number {
    return Math.max(1, Math.round(this.meanGapMs * (0.5 + this.random())));
  }
}
