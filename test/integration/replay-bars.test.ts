import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { concatAll, ignoreElements, lastValueFrom, merge, share, tap } from 'rxjs';
import { ReplayFeed } from '../../streams/feeds/replay.js';
import { eventTimeBars } from '../../streams/operators/event-time-bars.js';
import { barInterval } from '../../streams/operators/bar-interval.js';
import { countsForPrice } from '../../streams/market/price-conditions.js';
import type { Bar } from '../../streams/ports.js';
import { sharedData } from '../support/shared-data.js';

const ticksData = sharedData('market/spy-2013-10-07/ticks.csv.gz');
const barsData = sharedData('market/spy-2013-10-07/bars-1m.csv');
const available = ticksData.available && barsData.available;

// bars-1m.csv: ts_local_ny,ms_since_midnight,open,high,low,close,volume (New York, EDT = UTC-4).
const MIDNIGHT = Date.UTC(2013, 9, 7, 4);

interface Reference { start: number; ohlcv: number[] }

function readReference(): Reference[] {
  return readFileSync(barsData.file, 'utf8').trim().split('\n').slice(1).map((line) => {
    const f = line.split(',');
    return { start: MIDNIGHT + Number(f[1]), ohlcv: f.slice(2).map(Number) };
  });
}

/** Minutes whose open, high, low, close and volume all equal the reference exactly (no tolerance). */
function matching(reference: Reference[], bars: Bar[]): number {
  const byStart = new Map(bars.map((b) => [b.start, b]));
  return reference.filter(({ start, ohlcv }) => {
    const bar = byStart.get(start);
    return bar !== undefined && [bar.open, bar.high, bar.low, bar.close, bar.volume].every((v, i) => v === ohlcv[i]);
  }).length;
}

describe.skipIf(!available)('replaying SPY 2013-10-07 into 1-minute bars', () => {
  it('matches the reference minute bars exactly: 696+ with every print, 825 with the condition rule', async () => {
    const feed = new ReplayFeed({ file: ticksData.file, symbol: 'SPY', speed: 0 });
    const minute = barInterval('1m');
    let ticks = 0;
    let late = 0;
    const everyPrint: Bar[] = [];
    const withRule: Bar[] = [];
    const started = performance.now();
    const source = feed.batches().pipe(share());
    const counted = source.pipe(tap((batch) => (ticks += batch.length)), ignoreElements());
    const plain = source.pipe(eventTimeBars({ intervals: [minute], latenessMs: 2_000, onLate: () => late++ }), tap((b) => b.final && everyPrint.push(b)));
    const ruled = source.pipe(eventTimeBars({ intervals: [minute], latenessMs: 2_000, countsForPrice }), tap((b) => b.final && withRule.push(b)));
    await lastValueFrom(merge(counted, plain, ruled), { defaultValue: undefined });
    const seconds = (performance.now() - started) / 1000;

    const reference = readReference();
    expect(reference).toHaveLength(828);
    expect(ticks).toBe(250_601);
    expect(late).toBe(0);
    expect(everyPrint).toHaveLength(828);
    expect(everyPrint.map((b) => b.start)).toEqual(reference.map((r) => r.start));
    expect(everyPrint.every((b) => b.symbol === 'SPY' && b.interval === '1m' && b.end - b.start === 60_000)).toBe(true);
    // Volume counts every print either way, so it matches in (almost) every minute.
    const plainMatches = matching(reference, everyPrint);
    const ruledMatches = matching(reference, withRule);
    expect(plainMatches).toBeGreaterThanOrEqual(696);
    expect(ruledMatches).toBeGreaterThanOrEqual(825);
    console.info(`SPY 2013-10-07: ${plainMatches}/828 minutes match with every print, ${ruledMatches}/828 with the condition rule; ` +
      `${ticks} ticks in ${seconds.toFixed(2)} s through two bar operators (${Math.round(ticks / seconds)} ticks/s)`);
    // "A few seconds" on a loaded 2-core machine, with a wide margin.
    expect(seconds).toBeLessThan(20);
  });

  it('replays the file as fast as possible without building anything', async () => {
    let ticks = 0;
    const started = performance.now();
    await lastValueFrom(new ReplayFeed({ file: ticksData.file, speed: 0 }).batches().pipe(concatAll(), tap(() => ticks++), ignoreElements()), { defaultValue: undefined });
    const seconds = (performance.now() - started) / 1000;
    expect(ticks).toBe(250_601);
    console.info(`replay feed alone: ${ticks} ticks in ${seconds.toFixed(2)} s (${Math.round(ticks / seconds)} ticks/s)`);
  });
});
