/**
 * What one symbol costs the market pipeline in memory, and how many symbols fit a budget: the
 * default of SUPERNOVA_MAX_SYMBOLS. Its history streams (`ticks:`, `market:`, `bars:`) are not
 * counted here: the broker's history bounds those with its own limits.
 */

/** A stored closed bar: a row of nine float64s in its series (see BarStore). */
export const BAR_ROW_BYTES = 9 * 8;

/**
 * Everything of a symbol besides its stored bars: its session, its open bar per interval, the
 * conflation window of its snapshots and the partial-bar windows, its maps' entries and channel
 * names. Measured at about 3.0 KB (10,000 new symbols of one tick each, heap and array buffers
 * after a full GC, bars 1s and 1m; `npx vitest run streams/market/symbol-memory.test.ts` checks
 * it); rounded up.
 */
export const SYMBOL_STATE_BYTES = 4 * 1024;

/** The memory the market state of all symbols may take: a quarter of the 4 GB an engine is sized for. */
export const MARKET_MEMORY_BUDGET_BYTES = 1024 * 1024 * 1024;

/** The most a symbol trading all session costs: its state and every bar interval's store full. */
export function symbolBytes(intervals: number, barHistory: number): number {
  return SYMBOL_STATE_BYTES + BAR_ROW_BYTES * barHistory * intervals;
}

/** How many symbols fit the budget at their most (at least one). */
export function maxSymbolsWithin(budgetBytes: number, intervals: number, barHistory: number): number {
  return Math.max(1, Math.floor(budgetBytes / symbolBytes(intervals, barHistory)));
}
