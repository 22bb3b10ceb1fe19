import type { Tick } from '../ports.js';

/**
 * Trade conditions whose prints count for volume but do not set a bar's open, high, low or close.
 * The codes are those of the replay data (AlgoSeek condition flags, as in QuantConnect's sample
 * SPY day); the set was found by comparing bars built from every print with that day's
 * reference minute bars: leaving these prints out of the prices (intermarket sweeps during
 * regular hours, and average-price / derivatively priced reports) lifts the exact match from
 * 696 of 828 minutes to 825. Ticks without a condition (the simulated feed, HTTP ingest) count.
 */
export const NON_PRICE_CONDITIONS: ReadonlySet<string> = new Set(['20', '20000020', '20100000', '20100200', '20040200']);

/** `countsForPrice` for the bars operator: true unless the tick's condition is in NON_PRICE_CONDITIONS. */
export function countsForPrice(tick: Tick): boolean {
  return tick.condition === undefined || !NON_PRICE_CONDITIONS.has(tick.condition);
}
