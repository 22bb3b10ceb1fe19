import { z } from 'zod';
import { barInterval } from '../../../streams/index.js';
import { symbolArg, timeArg } from '../task-args.js';
import type { TaskDefinition } from '../types.js';
import type { BarReader } from './bar-reader.js';
import { seriesBytes, type SmaInput, type SmaResult } from './sma-kernel.js';

export const SMA_TASK = 'backtest.sma';
/** Bars one backtest reads at most (a year of 1-minute regular-hours bars is about 98,000). */
export const SMA_MAX_BARS = 200_000;
const CAPITAL = 10_000;
/** Regular US hours: 252 days of 6.5 hours, for the annualised Sharpe ratio. */
const TRADING_MS_PER_YEAR = 252 * 6.5 * 3_600_000;


export const smaArgs = z.object({
  symbol: symbolArg,
  interval: z.string().regex(/^[1-9]\d{0,6}(ms|s|m|h)$/, 'is a bar interval like 1s, 1m'),
  fast: z.number().int().min(1).max(10_000),
  slow: z.number().int().min(2).max(10_000),
  from: timeArg.optional(),
  to: timeArg.optional(),
}).strict().refine((a) => a.fast < a.slow, { message: 'fast must be shorter than slow', path: ['fast'] })
  .refine((a) => a.from === undefined || a.to === undefined || a.from <= a.to, { message: 'from must not be after to', path: ['from'] });

export type SmaArgs = z.output<typeof smaArgs>;

/**
 * `backtest.sma`: reads the bars (on the event loop: memory, then the database through the
 * cache), then runs the crossover in a CPU-pool thread.
 */
export function smaBacktestTask(bars: BarReader): TaskDefinition<SmaArgs, SmaResult & { symbol: string; interval: string; fast: number; slow: number }> {
  return {
    schema: smaArgs,
    cpu: { module: new URL(`./sma-kernel.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url), name: 'smaBacktest' },
    async run(a, ctx) {
      const series = await bars(a.symbol, a.interval, { from: a.from, to: a.to }, SMA_MAX_BARS);
      if (series.length < a.slow) throw new Error(`${a.symbol} ${a.interval}: ${series.length} bars in range, the slow average needs ${a.slow}`);
      ctx.progress(0.2);
      const input: SmaInput = {
        starts: seriesBytes(Float64Array.from(series, (b) => b.start)),
        closes: seriesBytes(Float64Array.from(series, (b) => b.close)),
        fast: a.fast,
        slow: a.slow,
        capital: CAPITAL,
        periodsPerYear: TRADING_MS_PER_YEAR / barInterval(a.interval).ms,
        maxCurvePoints: 2_000,
      };
      const result = await ctx.cpu<SmaResult>(input);
      return { symbol: a.symbol, interval: a.interval, fast: a.fast, slow: a.slow, ...result };
    },
  };
}
