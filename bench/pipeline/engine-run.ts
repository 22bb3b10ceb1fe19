import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { Engine, loadConfig } from '../../src/index.js';
import { IngestBusyError, type Tick } from '../../streams/index.js';
import type { PlainBar } from './hand-loop.js';
import type { FanoutSettings } from './protocol.js';

/** Ticks handed to the engine's ingest per event-loop turn: the replay feed's batch size. */
export const PUSH_BATCH = 1_000;
export const LATENESS_MS = 2_000;
const BUSY_RETRY_MS = 1;

export interface EngineRunResult {
  elapsedMs: number;
  /** Pushes refused because the pipeline had SUPERNOVA_INGEST_MAX_PENDING publications pending. */
  busyWaits: number;
}

/**
 * An engine as `npm start` builds it (gateway, memory broker, fan-out, market pipeline with 1s
 * and 1m bars), with no feed of its own: the bench pushes the ticks through its ingest, which
 * validates them and hands them to the pipeline as the replay feed would.
 */
export function benchEngine(fanout: FanoutSettings = {}): Engine {
  return new Engine({
    config: loadConfig({}, {
      port: 0,
      host: '127.0.0.1',
      feed: 'none',
      logLevel: 'silent',
      barIntervals: ['1s', '1m'],
      barLatenessMs: LATENESS_MS,
      // Every closed 1s bar of the day stays readable, for the equality check.
      barHistory: 100_000,
      // Room for a subscriber that falls behind for a second: measured as latency, not cut off.
      maxBackpressureBytes: 16 * 1024 * 1024,
      commandsPerSecond: 100_000,
      commandBurst: 100_000,
      dashboard: false,
      metricsIntervalMs: 60_000,
      ...fanout,
    }),
    logger: pino({ level: 'silent' }),
  });
}

/**
 * As fast as possible: a batch per event-loop turn (setImmediate between batches, as the replay
 * feed does at speed 0, so the fan-out's end-of-turn flush and the sockets run in between).
 * Done when the last batch is in and one more turn has flushed the fan-out.
 */
export async function pushAll(engine: Engine, ticks: readonly Tick[]): Promise<EngineRunResult> {
  let busyWaits = 0;
  const t0 = performance.now();
  for (let i = 0; i < ticks.length; ) {
    try {
      engine.ingest.push(ticks.slice(i, i + PUSH_BATCH));
      i += PUSH_BATCH;
    } catch (err) {
      if (!(err instanceof IngestBusyError)) throw err;
      busyWaits++;
      await sleep(BUSY_RETRY_MS);
      continue;
    }
    await nextTurn();
  }
  await nextTurn();
  return { elapsedMs: performance.now() - t0, busyWaits };
}

/** Every closed bar of an interval, oldest first, read through the bars API (pages of 1,000). */
export async function closedBars(port: number, symbol: string, interval: string): Promise<PlainBar[]> {
  const out: PlainBar[] = [];
  let cursor: string | null = null;
  do {
    const url = `http://127.0.0.1:${port}/api/v1/market/${symbol}/bars?interval=${interval}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await fetch(url);
    if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
    const page = (await res.json()) as { items: PlainBar[]; next_cursor: string | null };
    out.unshift(...page.items.map((b) => ({ interval, start: b.start, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume, vwap: b.vwap, trades: b.trades })));
    cursor = page.next_cursor;
  } while (cursor);
  return out;
}

/** The first difference between two bar lists, or undefined when they are equal. */
export function firstDifference(expected: readonly PlainBar[], actual: readonly PlainBar[]): string | undefined {
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    const e = JSON.stringify(expected[i]);
    const a = JSON.stringify(actual[i]);
    if (e !== a) return `bar ${i}: hand loop ${e}, engine ${a}`;
  }
  return undefined;
}
