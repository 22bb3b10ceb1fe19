import { existsSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { Observable } from 'rxjs';
import type { Subscriber } from 'rxjs';
import type { Feed, Tick, TickBatch } from '../ports.js';
import { InvalidOptionError } from '../errors.js';
import { readTickCsv } from './tick-csv.js';
import type { TickCsvRow } from './tick-csv.js';
import { zonedMidnight } from './zoned-midnight.js';

export interface ReplayFeedOptions {
  /** A tick CSV (see tick-csv.ts), gzipped when it ends in `.gz`. */
  file: string;
  /** The symbol the file's ticks are for. */
  symbol?: string;
  /** The trading day (YYYY-MM-DD). Omitted: the last date in the file's path, e.g. `spy-2013-10-07/ticks.csv.gz`. */
  date?: string;
  /** The zone of the file's `ms_since_midnight` column. */
  timeZone?: string;
  /** Event-time speed-up: 1 is real time, 60 a minute per second; 0 is as fast as possible. */
  speed?: number;
  /** Start over at the end of the file; each pass is shifted one day later so event time keeps rising. */
  loop?: boolean;
  /** Ticks read per step, and so the largest batch; as fast as possible, a step ends with a yield to the event loop. */
  batchSize?: number;
  /**
   * Backpressure: polled between batches; while it answers true the replay waits. The engine
   * passes "too many publications in flight" so a fast replay cannot pile up unbounded promises.
   */
  isBusy?: () => boolean;
}

const DAY_MS = 86_400_000;
// One full batch fits one `ticks:` publication (MAX_TRADES_PER_PUBLICATION), so none is split.
const DEFAULT_BATCH_SIZE = 1_000;
const MAX_SPEED = 1_000_000;
// How long a replay that is told to hold back waits before asking again.
const BUSY_POLL_MS = 1;

/**
 * Replays a day of recorded ticks. Event time (`ts`) is the tick's recorded time as epoch ms, so
 * bars built from a replay line up with bars built from the same day elsewhere.
 *
 * Pacing: at speed N a tick is due (ts - first ts) / N ms after the pass started; the ticks that
 * are due go out as one batch, then the replay sleeps until the next is due. At speed 0 each read
 * step is one batch, followed by a macrotask yield (setImmediate), so timers, sockets and the
 * broker keep running between batches and at most one batch of work is pending at a time.
 *
 * Cold: each subscription reads the file from the start; unsubscribing aborts the read, clears
 * the sleep timer and closes the file.
 */
export class ReplayFeed implements Feed {
  readonly name = 'replay';
  readonly file: string;
  readonly symbol: string;
  readonly date: string;
  readonly speed: number;
  readonly loop: boolean;
  private readonly midnight: number;
  private readonly batchSize: number;
  private readonly isBusy: () => boolean;

  constructor(options: ReplayFeedOptions) {
    if (!options.file || !existsSync(options.file)) {
      throw new InvalidOptionError('file', `replay file ${JSON.stringify(options.file)} does not exist`);
    }
    const symbol = options.symbol ?? 'SPY';
    if (!/^[A-Z0-9.]{1,12}$/.test(symbol)) throw new InvalidOptionError('symbol', `not a symbol: ${JSON.stringify(symbol)}`);
    const date = options.date ?? dateInPath(options.file);
    if (!date) throw new InvalidOptionError('date', `no date given and none (YYYY-MM-DD) in the path ${JSON.stringify(options.file)}`);
    const timeZone = options.timeZone ?? 'America/New_York';
    try {
      this.midnight = zonedMidnight(date, timeZone);
    } catch (err) {
      throw new InvalidOptionError('date', `${(err as Error).message} (time zone ${timeZone})`);
    }
    const speed = options.speed ?? 1;
    if (!Number.isFinite(speed) || speed < 0 || speed > MAX_SPEED) {
      throw new InvalidOptionError('speed', `must be 0 (as fast as possible) or in (0, ${MAX_SPEED}], got ${speed}`);
    }
    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidOptionError('batchSize', `must be a positive integer, got ${batchSize}`);
    this.file = options.file;
    this.symbol = symbol;
    this.date = date;
    this.speed = speed;
    this.loop = options.loop ?? false;
    this.batchSize = batchSize;
    this.isBusy = options.isBusy ?? (() => false);
  }

  batches(): Observable<TickBatch> {
    return new Observable<TickBatch>((subscriber) => {
      const abort = new AbortController();
      this.run(subscriber, abort.signal).then(
        () => subscriber.complete(),
        (err: unknown) => subscriber.error(err),
      );
      return () => abort.abort();
    });
  }

  private async run(subscriber: Subscriber<TickBatch>, signal: AbortSignal): Promise<void> {
    for (let pass = 0; !signal.aborted; pass++) {
      const base = this.midnight + pass * DAY_MS;
      let wallStart = 0;
      let eventStart = Number.NaN;
      let emitted = 0;
      for await (const rows of readTickCsv(this.file, { batchSize: this.batchSize, signal })) {
        // Returning (not just skipping) ends the read at once: the reader's finally closes the file.
        if (signal.aborted) return;
        if (rows.length === 0) continue;
        const ticks = rows.map((row) => this.toTick(row, base));
        emitted += ticks.length;
        if (this.speed === 0) {
          subscriber.next(ticks);
          await yieldToEventLoop(signal);
        } else {
          if (Number.isNaN(eventStart)) {
            eventStart = (ticks[0] as Tick).ts;
            wallStart = performance.now();
          }
          // Everything due now goes out together; the replay sleeps only until the next tick is due.
          for (let from = 0; from < ticks.length && !signal.aborted; ) {
            const dueAt = wallStart + ((ticks[from] as Tick).ts - eventStart) / this.speed;
            const wait = dueAt - performance.now();
            if (wait >= 1) {
              await sleep(wait, signal);
              continue;
            }
            const cutoff = eventStart + (performance.now() + 1 - wallStart) * this.speed;
            let to = from + 1;
            while (to < ticks.length && (ticks[to] as Tick).ts < cutoff) to++;
            subscriber.next(from === 0 && to === ticks.length ? ticks : ticks.slice(from, to));
            from = to;
          }
        }
        while (this.isBusy() && !signal.aborted) await sleep(BUSY_POLL_MS, signal);
        if (signal.aborted) return;
      }
      // A file without ticks would otherwise make a looped replay reopen it forever.
      if (!this.loop || emitted === 0) return;
    }
  }

  private toTick(row: TickCsvRow, base: number): Tick {
    return {
      symbol: this.symbol,
      price: row.priceDecicents / 10_000,
      size: row.size,
      ts: base + row.msSinceMidnight,
      condition: row.condition,
      exchange: row.exchange,
    };
  }
}

function dateInPath(file: string): string | undefined {
  const names = `${basename(dirname(file))}/${basename(file)}`;
  return names.match(/\d{4}-\d{2}-\d{2}/g)?.at(-1);
}

/** A timer that an abort clears at once, so unsubscribing never waits out a sleep. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function yieldToEventLoop(signal: AbortSignal): Promise<void> {
  return signal.aborted ? Promise.resolve() : new Promise((resolve) => setImmediate(resolve));
}
