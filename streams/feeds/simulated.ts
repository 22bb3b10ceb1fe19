import { Observable, asyncScheduler } from 'rxjs';
import type { SchedulerLike, Subscription } from 'rxjs';
import type { Feed, Tick, TickBatch } from '../ports.js';
import { InvalidOptionError } from '../errors.js';
import { gaussian, hashString, mulberry32 } from './prng.js';
import { symbolProfile } from './symbol-profile.js';

export interface SimulatedFeedOptions {
  symbols: readonly string[];
  /** Mean trades per second per symbol; actual gaps are jittered uniformly in [0.5, 1.5) x mean. */
  tradesPerSecond?: number;
  /** Same seed, same ticks (given the same scheduler clock). Omitted: random, exposed as `seed`. */
  seed?: number;
  /** Drives trade timing and `ts`; pass a virtual-time scheduler in tests. */
  scheduler?: SchedulerLike;
}

const DEFAULT_TRADES_PER_SECOND = 5;
// Timers have millisecond resolution; beyond this the configured rate could not be honoured.
const MAX_TRADES_PER_SECOND = 1000;
// Volatility is quoted per trading year; scaling by it keeps per-trade moves realistic (cents).
const TRADING_SECONDS_PER_YEAR = 252 * 6.5 * 3600;
const MIN_PRICE = 0.01;

/**
 * Geometric random walk per symbol with jittered trade arrivals. Cold: every subscription runs
 * its own simulation from the seed, and unsubscribing cancels every pending timer.
 */
export class SimulatedFeed implements Feed {
  readonly name = 'simulated';
  readonly symbols: readonly string[];
  readonly tradesPerSecond: number;
  readonly seed: number;
  private readonly scheduler: SchedulerLike;

  constructor(options: SimulatedFeedOptions) {
    const symbols = [...new Set(options.symbols)];
    if (symbols.length === 0) throw new InvalidOptionError('symbols', 'needs at least one symbol');
    const badIndex = symbols.findIndex((s) => typeof s !== 'string' || s.length === 0);
    if (badIndex >= 0) {
      throw new InvalidOptionError('symbols', `not a symbol: ${JSON.stringify(symbols[badIndex]) ?? 'undefined'}`);
    }
    const tps = options.tradesPerSecond ?? DEFAULT_TRADES_PER_SECOND;
    if (!Number.isFinite(tps) || tps <= 0 || tps > MAX_TRADES_PER_SECOND) {
      throw new InvalidOptionError('tradesPerSecond', `must be in (0, ${MAX_TRADES_PER_SECOND}], got ${tps}`);
    }
    this.symbols = symbols;
    this.tradesPerSecond = tps;
    this.seed = (options.seed ?? Math.floor(Math.random() * 4294967296)) >>> 0;
    this.scheduler = options.scheduler ?? asyncScheduler;
  }

  batches(): Observable<TickBatch> {
    return new Observable<TickBatch>((subscriber) => {
      const timers: (Subscription | undefined)[] = [];
      this.symbols.forEach((symbol, index) => {
        const walk = new SymbolWalk(symbol, this.seed, 1000 / this.tradesPerSecond);
        // A fresh action per trade (rather than rescheduling one) costs the same with real timers,
        // since the jittered delay changes every time, and keeps virtual-time actions flat.
        const step = (): void => {
          // A batch of one: each symbol trades on its own jittered timer, so nothing else is ready.
          subscriber.next([walk.trade(this.scheduler.now())]);
          if (!subscriber.closed) timers[index] = this.scheduler.schedule(step, walk.nextDelay());
        };
        timers[index] = this.scheduler.schedule(step, walk.nextDelay());
      });
      return () => {
        for (const timer of timers) timer?.unsubscribe();
      };
    });
  }
}

/** The state of one symbol's simulation: its own PRNG, so symbols do not perturb each other. */
class SymbolWalk {
  private readonly random: () => number;
  private readonly volatility: number;
  private fair: number;
  private lastDelayMs: number;

  constructor(
    private readonly symbol: string,
    seed: number,
    private readonly meanDelayMs: number,
  ) {
    this.random = mulberry32(seed ^ hashString(symbol));
    const profile = symbolProfile(symbol);
    this.fair = profile.price;
    this.volatility = profile.volatility;
    this.lastDelayMs = meanDelayMs;
  }

  nextDelay(): number {
    this.lastDelayMs = Math.max(1, Math.round(this.meanDelayMs * (0.5 + this.random())));
    return this.lastDelayMs;
  }

  trade(ts: number): Tick {
    // Step size scales with the time since the previous trade, so the walk's volatility does not
    // depend on the configured trade rate. The -sigma^2/2 drift keeps the expected price flat.
    const dt = this.lastDelayMs / 1000 / TRADING_SECONDS_PER_YEAR;
    const sigma = this.volatility;
    this.fair *= Math.exp(sigma * Math.sqrt(dt) * gaussian(this.random) - 0.5 * sigma * sigma * dt);
    // The walk keeps full precision; only the printed trade is rounded, so small moves accumulate.
    const price = Math.max(MIN_PRICE, Math.round(this.fair * 100) / 100);
    return { symbol: this.symbol, price, size: this.size(), ts };
  }

  /** Mostly odd lots, sometimes round lots, now and then a block, like a real tape. */
  private size(): number {
    const r = this.random();
    if (r < 0.6) return 1 + Math.floor(this.random() * 99);
    if (r < 0.95) return 100 * (1 + Math.floor(this.random() * 10));
    return 1000 * (1 + Math.floor(this.random() * 20));
  }
}
