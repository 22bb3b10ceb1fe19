import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Tick } from '../../streams/index.js';
import { epochMs } from '../shared/clock.js';
import type { Timebase } from '../shared/worker-protocol.js';
import type { PacedOutcome, PacedPlan } from './protocol.js';

export interface PacedWindow {
  ticks: readonly Tick[];
  /** Index of the first tick of the window and one past its last. */
  first: number;
  end: number;
  timebase: Timebase;
}

/**
 * The ticks of `plan.seconds` of wall time at `plan.speed`, from the first tick at or after
 * `plan.from` (HH:MM in the replay's time zone).
 */
export function pacedWindow(ticks: readonly Tick[], plan: PacedPlan, wallOrigin: number): PacedWindow {
  const { from, seconds, speed } = plan;
  if (ticks.length === 0) throw new Error('no ticks');
  const midnight = midnightOf((ticks[0] as Tick).ts);
  const [h, m] = from.split(':').map(Number);
  const fromTs = midnight + ((h ?? 0) * 60 + (m ?? 0)) * 60_000;
  let first = 0;
  while (first < ticks.length && (ticks[first] as Tick).ts < fromTs) first++;
  if (first === ticks.length) throw new Error(`no tick at or after ${from}`);
  const eventOrigin = (ticks[first] as Tick).ts;
  const eventEnd = eventOrigin + seconds * 1000 * speed;
  let end = first;
  while (end < ticks.length && (ticks[end] as Tick).ts < eventEnd) end++;
  return { ticks, first, end, timebase: { wallOrigin, eventOrigin, speed, channels: plan.timedChannels } };
}

const TIME_ZONE = 'America/New_York';
const clock = new Intl.DateTimeFormat('en-US', { timeZone: TIME_ZONE, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** Local midnight (in the replay's time zone) of the day of `ts`. */
function midnightOf(ts: number): number {
  const part = (type: string): number => Number(clock.formatToParts(ts).find((p) => p.type === type)?.value ?? 0);
  return ts - (ts % 1000) - ((part('hour') * 60 + part('minute')) * 60 + part('second')) * 1000;
}

/**
 * Pushes the window through the engine's ingest on the replay feed's schedule: a tick is due at
 * wallOrigin + (ts - eventOrigin) / speed; every tick due is pushed at once, then the loop sleeps
 * until the next is due (or yields a turn when that is under a millisecond away, as the feed does).
 */
export async function runPaced(push: (ticks: Tick[]) => void, w: PacedWindow, delivered: () => Promise<number>): Promise<PacedOutcome> {
  const { wallOrigin, eventOrigin, speed } = w.timebase;
  const dueOf = (t: Tick): number => wallOrigin + (t.ts - eventOrigin) / speed;
  const deliveredBefore = await delivered();
  const startWait = wallOrigin - epochMs();
  if (startWait > 0) await sleep(startWait);
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const cpuBefore = process.cpuUsage();
  let maxLagMs = 0;
  // Per push: its lag and how many ticks it carried (for the lag's percentile over ticks).
  const lags: { lag: number; ticks: number }[] = [];
  let i = w.first;
  while (i < w.end) {
    const now = epochMs();
    const lag = now - dueOf(w.ticks[i] as Tick);
    if (lag > maxLagMs) maxLagMs = lag;
    let j = i;
    while (j < w.end && dueOf(w.ticks[j] as Tick) < now + 1) j++;
    lags.push({ lag, ticks: j - i });
    push(w.ticks.slice(i, j));
    i = j;
    if (i < w.end) {
      const wait = dueOf(w.ticks[i] as Tick) - epochMs();
      await (wait >= 1 ? sleep(wait) : new Promise((resolve) => setImmediate(resolve)));
    }
  }
  const elapsedMs = epochMs() - wallOrigin;
  const cpu = process.cpuUsage(cpuBefore);
  loop.disable();
  return {
    ticks: w.end - w.first,
    elapsedMs,
    maxLagMs,
    lagP99Ms: percentileOverTicks(lags, 0.99),
    delivered: (await delivered()) - deliveredBefore,
    cpuMs: (cpu.user + cpu.system) / 1000,
    loopDelayP99Ms: loop.percentile(99) / 1e6,
    loopDelayMaxMs: loop.max / 1e6,
  };
}

/** The lag below which `share` of the ticks were pushed. */
function percentileOverTicks(lags: { lag: number; ticks: number }[], share: number): number {
  const sorted = [...lags].sort((a, b) => a.lag - b.lag);
  const total = sorted.reduce((sum, l) => sum + l.ticks, 0);
  let seen = 0;
  for (const l of sorted) {
    seen += l.ticks;
    if (seen >= share * total) return l.lag;
  }
  return sorted.at(-1)?.lag ?? 0;
}
