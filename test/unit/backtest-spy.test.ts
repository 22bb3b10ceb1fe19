import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BarStore, type Bar } from '../../streams/index.js';
import { sharedData } from '../support/shared-data.js';
import { ActorRuntime } from '../../actors/runtime/index.js';
import { CpuPool } from '../../actors/task-worker/cpu-pool.js';
import { MemoryTasks } from '../../actors/task-worker/memory-tasks.js';
import { TaskRegistry } from '../../actors/task-worker/registry.js';
import { barReader } from '../../actors/task-worker/backtest/bar-reader.js';
import { TIE, type SmaResult } from '../../actors/task-worker/backtest/sma-kernel.js';
import { SMA_TASK, smaBacktestTask } from '../../actors/task-worker/backtest/sma-task.js';

/** The recorded SPY day's 1-minute bars, as the engine stores them. */
function spyBars(file: string): Bar[] {
  const day = Date.UTC(2013, 9, 7);
  return readFileSync(file, 'utf8').trim().split('\n').slice(1).map((line) => {
    const [, ms, open, high, low, close, volume] = line.split(',');
    const start = day + Number(ms);
    return { symbol: 'SPY', interval: '1m', start, end: start + 60_000, open: Number(open), high: Number(high), low: Number(low), close: Number(close), volume: Number(volume), vwap: Number(close), trades: 1, final: true };
  });
}

/** The same strategy written the slow, obvious way: each average summed afresh. */
function reference(closes: number[], fast: number, slow: number, capital: number) {
  const avg = (i: number, n: number) => closes.slice(i - n + 1, i + 1).reduce((a, b) => a + b, 0) / n;
  let cash = capital;
  let shares = 0;
  const returns: number[] = [];
  const equity: number[] = [];
  for (let i = 0; i < closes.length; i++) {
    const c = closes[i] as number;
    equity.push(shares > 0 ? shares * c : cash);
    if (i < slow - 1) continue;
    const above = avg(i, fast) - avg(i, slow) > TIE * avg(i, slow);
    if (above && shares === 0) {
      shares = cash / c;
      returns.push(c);
    } else if (!above && shares > 0) {
      cash = shares * c;
      shares = 0;
      returns.push(c);
    }
  }
  if (shares > 0) returns.push(closes.at(-1) as number);
  const trades: number[] = [];
  for (let k = 0; k + 1 < returns.length; k += 2) trades.push((returns[k + 1] as number) / (returns[k] as number) - 1);
  let peak = 0;
  let dd = 0;
  for (const e of equity) {
    peak = Math.max(peak, e);
    dd = Math.max(dd, (peak - e) / peak);
  }
  const rets = equity.slice(1).map((e, i) => e / (equity[i] as number) - 1);
  const mean = rets.reduce((a, b) => a + b, 0) / rets.length;
  const sd = Math.sqrt(rets.reduce((a, b) => a + (b - mean) ** 2, 0) / (rets.length - 1));
  return { final: equity.at(-1) as number, trades, winRate: trades.filter((t) => t > 0).length / trades.length, maxDrawdown: dd, sharpe: (mean / sd) * Math.sqrt(252 * 390) };
}

const spy = sharedData('market/spy-2013-10-07/bars-1m.csv');

describe.runIf(spy.available)('backtest.sma on the recorded SPY day', () => {
  const bars = spy.available ? spyBars(spy.file) : [];
  const store = new BarStore(['1m'], 2_000);
  for (const b of bars) store.add(b);
  const runtime = new ActorRuntime({ name: 'backtest-test' });
  const registry = new TaskRegistry().register(SMA_TASK, smaBacktestTask(barReader(store)));
  const tasks = new MemoryTasks({
    runtime, registry, cpu: new CpuPool({ threads: 1, maxQueue: 4 }),
    limits: { workersMin: 1, workersMax: 2, queueMax: 100, timeoutMs: 20_000, timeoutMaxMs: 60_000, resultTtlMs: 60_000, recordsMax: 100, resultMaxBytes: 4 * 1024 * 1024, resultsMaxBytes: 64 * 1024 * 1024, attempts: 1, retryBaseMs: 1, agingMs: 1000, scaleIntervalMs: 100, scaleUpWaitMs: 50, scaleDownIdleMs: 1000, batchMaxItems: 10, argsMaxBytes: 4096 },
  });
  beforeAll(async () => {
    runtime.start();
    await tasks.start();
  });
  afterAll(async () => {
    await tasks.stop();
    await runtime.stop();
  });

  it('agrees with the slow reference on all 828 bars (P&L, trades, win rate, Sharpe, drawdown)', async () => {
    expect(bars).toHaveLength(828);
    const view = await tasks.wait(await tasks.submit({ type: SMA_TASK, args: { symbol: 'SPY', interval: '1m', fast: 10, slow: 30 } }));
    expect(view.status).toBe('succeeded');
    const r = view.result as SmaResult;
    const ref = reference(bars.map((b) => b.close), 10, 30, 10_000);
    expect(r.bars).toBe(828);
    expect(r.finalEquity).toBeCloseTo(ref.final, 8);
    expect(r.pnl).toBeCloseTo(ref.final - 10_000, 8);
    expect(r.trades.map((t) => t.return)).toHaveLength(ref.trades.length);
    r.trades.forEach((t, i) => expect(t.return).toBeCloseTo(ref.trades[i] as number, 12));
    expect(r.winRate).toBeCloseTo(ref.winRate, 12);
    expect(r.maxDrawdown).toBeCloseTo(ref.maxDrawdown, 12);
    expect(r.sharpe).toBeCloseTo(ref.sharpe, 8);
    expect(r.trades.length).toBeGreaterThan(5);
  });

  it('keeps to the range asked, in regular hours', async () => {
    const open = Date.UTC(2013, 9, 7) + 9.5 * 3_600_000;
    const close = Date.UTC(2013, 9, 7) + 16 * 3_600_000 - 60_000;
    const view = await tasks.wait(await tasks.submit({ type: SMA_TASK, args: { symbol: 'SPY', interval: '1m', fast: 5, slow: 20, from: open, to: new Date(close).toISOString() } }));
    const r = view.result as SmaResult;
    expect(r.bars).toBe(390);
    const closes = bars.filter((b) => b.start >= open && b.start <= close).map((b) => b.close);
    expect(r.finalEquity).toBeCloseTo(reference(closes, 5, 20, 10_000).final, 8);
  });

  it('fails with the reason when there are too few bars, and refuses bad args', async () => {
    const view = await tasks.wait(await tasks.submit({ type: SMA_TASK, args: { symbol: 'QQQ', interval: '1m', fast: 5, slow: 20 } }));
    expect(view).toMatchObject({ status: 'failed', error: 'QQQ 1m: 0 bars in range, the slow average needs 20' });
    await expect(tasks.submit({ type: SMA_TASK, args: { symbol: 'SPY', interval: '1m', fast: 20, slow: 5 } })).rejects.toThrow(/fast must be shorter/);
    await expect(tasks.submit({ type: SMA_TASK, args: { symbol: 'spy; drop', interval: '1m', fast: 2, slow: 5 } })).rejects.toThrow(/symbol/);
    await expect(tasks.submit({ type: SMA_TASK, args: { symbol: 'SPY', interval: '1m', fast: 2, slow: 5, from: 'yesterday' } })).rejects.toThrow(/not a date/);
    await expect(tasks.submit({ type: SMA_TASK, args: { symbol: 'SPY', interval: '1m', fast: 2, slow: 5, extra: 1 } })).rejects.toThrow(/extra/);
  });
});
