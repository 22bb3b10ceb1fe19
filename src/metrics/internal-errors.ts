import type { Logger } from 'pino';

/** Where a component reports an exception it caught so that it would not leave its callback. */
export type InternalErrorSink = (where: string, err: unknown) => void;

export interface InternalErrorsOptions {
  log: Logger;
  /** Each place logs its first error of a period, then how many more it had when the next is logged. */
  logPeriodMs: number;
  now?: () => number;
}

/**
 * The engine's last line of defence: an encode, a fan-out flush, an HTTP write or a handler that
 * throws is caught where it runs, counted here by place (`supernova_internal_errors_total{where}`)
 * and logged at most once per period per place, so a flood of one bad input cannot flood the log.
 */
export class InternalErrors {
  private readonly counts = new Map<string, number>();
  private readonly lastLogged = new Map<string, { at: number; count: number }>();
  private readonly now: () => number;

  constructor(private readonly o: InternalErrorsOptions) {
    this.now = o.now ?? Date.now;
  }

  /** The sink to hand components. */
  readonly report: InternalErrorSink = (where, err) => {
    const count = (this.counts.get(where) ?? 0) + 1;
    this.counts.set(where, count);
    const now = this.now();
    const last = this.lastLogged.get(where);
    if (last && now - last.at < this.o.logPeriodMs) return;
    this.lastLogged.set(where, { at: now, count });
    this.o.log.error({ err, where, suppressed: last ? count - last.count - 1 : 0 }, 'internal error caught');
  };

  /** Errors caught so far, by place. */
  byPlace(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}
