/**
 * The moving-average crossover backtest, a pure function of bars (it runs in a CPU-pool thread).
 * Long only, all in: at a bar's close the position is opened when the fast SMA of closes is above
 * the slow one, and closed when it is not; an open position is closed at the last bar's close.
 */
/**
 * A series of numbers as it crosses to the thread: a plain array, or the bytes of a Float64Array
 * (msgpack's bin, a copy of memory: packing 200,000 doubles one by one would take the event
 * loop tens of milliseconds).
 */
export type Series = number[] | Float64Array | Uint8Array;

/** The bytes of a Float64Array, to cross as msgpack bin. */
export function seriesBytes(values: Float64Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

function floats(v: Series): Float64Array | number[] {
  if (!(v instanceof Uint8Array)) return v;
  // A copy: the bytes unpacked may not sit at an offset a Float64Array can view.
  const out = new Float64Array(Math.floor(v.byteLength / 8));
  new Uint8Array(out.buffer).set(v.subarray(0, out.byteLength));
  return out;
}

export interface SmaInput {
  starts: Series;
  closes: Series;
  fast: number;
  slow: number;
  capital: number;
  /** Bars per year, for the annualised Sharpe ratio. */
  periodsPerYear: number;
  /** Equity points at most in the answer (the curve is sampled evenly, last point kept). */
  maxCurvePoints: number;
}

export interface SmaTrade {
  entryTs: number;
  entryPrice: number;
  exitTs: number;
  exitPrice: number;
  return: number;
}

export interface SmaResult {
  bars: number;
  capital: number;
  finalEquity: number;
  pnl: number;
  pnlPct: number;
  trades: SmaTrade[];
  winRate: number;
  sharpe: number;
  maxDrawdown: number;
  equity: { ts: number; equity: number }[];
}

/** Relative difference under which the two averages count as equal. */
export const TIE = 1e-9;

export function smaBacktest(input: SmaInput): SmaResult {
  const { fast, slow, capital } = input;
  const starts = floats(input.starts);
  const closes = floats(input.closes);
  const n = closes.length;
  const equity = new Float64Array(n);
  const trades: SmaTrade[] = [];
  let fastSum = 0;
  let slowSum = 0;
  let long = false;
  let entry = 0;
  for (let i = 0; i < n; i++) {
    const close = closes[i] as number;
    // The position held since the previous close earns this bar's change.
    equity[i] = i === 0 ? capital : long ? (equity[i - 1] as number) * close / (closes[i - 1] as number) : (equity[i - 1] as number);
    fastSum += close;
    slowSum += close;
    if (i >= fast) fastSum -= closes[i - fast] as number;
    if (i >= slow) slowSum -= closes[i - slow] as number;
    if (i < slow - 1) continue;
    // Running sums drift by an ulp or so: averages within TIE of each other are a tie (not above),
    // or flat stretches of prices would flip the position on rounding noise.
    const above = fastSum / fast - slowSum / slow > TIE * (slowSum / slow);
    if (above && !long) {
      long = true;
      entry = i;
    } else if (!above && long) {
      long = false;
      trades.push(trade(starts, closes, entry, i));
    }
  }
  if (long && n > 0) trades.push(trade(starts, closes, entry, n - 1));
  const finalEquity = n > 0 ? (equity[n - 1] as number) : capital;
  return {
    bars: n,
    capital,
    finalEquity,
    pnl: finalEquity - capital,
    pnlPct: (finalEquity / capital - 1) * 100,
    trades,
    winRate: trades.length === 0 ? 0 : trades.filter((t) => t.return > 0).length / trades.length,
    sharpe: sharpe(equity, input.periodsPerYear),
    maxDrawdown: maxDrawdown(equity),
    equity: curve(starts, equity, input.maxCurvePoints),
  };
}

function trade(starts: ArrayLike<number>, closes: ArrayLike<number>, from: number, to: number): SmaTrade {
  const entryPrice = closes[from] as number;
  const exitPrice = closes[to] as number;
  return { entryTs: starts[from] as number, entryPrice, exitTs: starts[to] as number, exitPrice, return: exitPrice / entryPrice - 1 };
}

/** Mean over sample standard deviation of the bar-to-bar equity returns, annualised; 0 when flat. */
function sharpe(equity: Float64Array, periodsPerYear: number): number {
  const m = equity.length - 1;
  if (m < 2) return 0;
  let sum = 0;
  for (let i = 1; i <= m; i++) sum += (equity[i] as number) / (equity[i - 1] as number) - 1;
  const mean = sum / m;
  let sq = 0;
  for (let i = 1; i <= m; i++) sq += ((equity[i] as number) / (equity[i - 1] as number) - 1 - mean) ** 2;
  const sd = Math.sqrt(sq / (m - 1));
  return sd === 0 ? 0 : (mean / sd) * Math.sqrt(periodsPerYear);
}

/** The largest fall from a peak, as a fraction of that peak. */
function maxDrawdown(equity: Float64Array): number {
  let peak = -Infinity;
  let worst = 0;
  for (const e of equity) {
    if (e > peak) peak = e;
    else worst = Math.max(worst, (peak - e) / peak);
  }
  return worst;
}

function curve(starts: ArrayLike<number>, equity: Float64Array, max: number): { ts: number; equity: number }[] {
  const n = equity.length;
  const step = Math.max(1, Math.ceil(n / max));
  const out: { ts: number; equity: number }[] = [];
  for (let i = 0; i < n; i += step) out.push({ ts: starts[i] as number, equity: equity[i] as number });
  if (n > 0 && (n - 1) % step !== 0) out.push({ ts: starts[n - 1] as number, equity: equity[n - 1] as number });
  return out;
}
