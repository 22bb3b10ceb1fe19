import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concatAll, firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { ReplayFeed } from './replay.js';
import { TickCsvError } from './tick-csv.js';
import { createFeed } from './index.js';
import { InvalidOptionError } from '../errors.js';

const HEADER = 'ms_since_midnight_et,price_decicents,size,exchange,condition,suspicious';
// 2013-10-07 in New York is EDT (UTC-4): local midnight is 04:00Z.
const MIDNIGHT_2013_10_07 = Date.UTC(2013, 9, 7, 4);

let dir: string;
const write = (name: string, lines: string[], gzip = true): string => {
  const path = join(dir, name);
  const text = `${lines.join('\n')}\n`;
  writeFileSync(path, gzip ? gzipSync(text) : text);
  return path;
};
/** `count` rows, one every `stepMs` from 09:30:00 local, price 167.41 + i cents. */
const rows = (count: number, stepMs = 1): string[] =>
  Array.from({ length: count }, (_, i) => `${34_200_000 + i * stepMs},${1_674_100 + i * 100},${100 + i},P,${i % 2 ? '20' : '1'},0`);

/** File descriptors of this process that point at `path` (Linux); undefined elsewhere. */
function openHandles(path: string): number | undefined {
  if (!existsSync('/proc/self/fd')) return undefined;
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) n++;
    } catch {
      // the fd closed while we listed
    }
  }
  return n;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'replay-test-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ReplayFeed', () => {
  it('turns rows into ticks: recorded event time in epoch ms, exact USD prices, condition kept', async () => {
    const file = write('spy-2013-10-07.csv.gz', [HEADER, ...rows(3)]);
    const feed = new ReplayFeed({ file, speed: 0 });
    expect(feed.date).toBe('2013-10-07');
    const ticks = await lastValueFrom(feed.batches().pipe(concatAll(), toArray()));
    expect(ticks).toEqual([
      { symbol: 'SPY', price: 167.41, size: 100, ts: MIDNIGHT_2013_10_07 + 34_200_000, condition: '1', exchange: 'P' },
      { symbol: 'SPY', price: 167.42, size: 101, ts: MIDNIGHT_2013_10_07 + 34_200_001, condition: '20', exchange: 'P' },
      { symbol: 'SPY', price: 167.43, size: 102, ts: MIDNIGHT_2013_10_07 + 34_200_002, condition: '1', exchange: 'P' },
    ]);
    expect(new Date(ticks[0]!.ts).toISOString()).toBe('2013-10-07T13:30:00.000Z');
  });

  it('reads plain CSV too, and takes symbol, date and zone from options', async () => {
    const file = write('plain.csv', [HEADER, ...rows(1)], false);
    const tick = await firstValueFrom(new ReplayFeed({ file, symbol: 'QQQ', date: '2013-01-07', timeZone: 'UTC', speed: 0 }).batches().pipe(concatAll()));
    expect(tick).toMatchObject({ symbol: 'QQQ', ts: Date.UTC(2013, 0, 7) + 34_200_000 });
  });

  it('paces by event time at the given speed', async () => {
    // 11 ticks 100 ms apart = 1 s of event time; at 5x that is about 200 ms.
    const file = write('paced-2013-10-07.csv.gz', [HEADER, ...rows(11, 100)]);
    const arrivals: number[] = [];
    const feed = new ReplayFeed({ file, speed: 5 });
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) =>
      feed.batches().pipe(concatAll()).subscribe({ next: () => arrivals.push(performance.now() - t0), complete: resolve, error: reject }),
    );
    expect(arrivals).toHaveLength(11);
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThanOrEqual(190);
    expect(arrivals.at(-1)! - arrivals[0]!).toBeLessThan(2_000);
    // Ticks come in order, never before they are due.
    for (let i = 1; i < arrivals.length; i++) expect(arrivals[i]! - arrivals[0]!).toBeGreaterThanOrEqual(i * 20 - 2);
  });

  it('hands over what is due together as one batch: a read step at speed 0, a burst when paced', async () => {
    const file = write('batches-2013-10-07.csv.gz', [HEADER, ...rows(250)]);
    const fast = await lastValueFrom(new ReplayFeed({ file, speed: 0, batchSize: 100 }).batches().pipe(toArray()));
    expect(fast.map((b) => b.length)).toEqual([100, 100, 50]);
    // Three prints in one millisecond, then three more 60 ms later: two batches at real time.
    const burst = write('burst-2013-10-07.csv.gz', [HEADER, ...rows(3, 0), ...rows(3, 0).map((r) => r.replace(/^34200000/, '34200060'))]);
    const arrivals: [number, number][] = [];
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) =>
      new ReplayFeed({ file: burst, speed: 1 }).batches().subscribe({ next: (b) => arrivals.push([b.length, performance.now() - t0]), complete: resolve, error: reject }),
    );
    expect(arrivals.map(([n]) => n)).toEqual([3, 3]);
    expect(arrivals[1]![1] - arrivals[0]![1]).toBeGreaterThanOrEqual(55);
  });

  it('as fast as possible still yields to the event loop between batches', async () => {
    const file = write('fast-2013-10-07.csv.gz', [HEADER, ...rows(5_000)]);
    let seenWhenTimerFired = -1;
    let seen = 0;
    setTimeout(() => {
      seenWhenTimerFired = seen;
    }, 0);
    await new Promise<void>((resolve, reject) =>
      new ReplayFeed({ file, speed: 0, batchSize: 100 }).batches().pipe(concatAll()).subscribe({ next: () => seen++, complete: resolve, error: reject }),
    );
    expect(seen).toBe(5_000);
    expect(seenWhenTimerFired).toBeGreaterThanOrEqual(0);
    expect(seenWhenTimerFired).toBeLessThan(5_000);
  });

  it('holds back while isBusy says so', async () => {
    const file = write('busy-2013-10-07.csv.gz', [HEADER, ...rows(300)]);
    let busy = true;
    let seen = 0;
    const done = new Promise<void>((resolve, reject) =>
      new ReplayFeed({ file, speed: 0, batchSize: 100, isBusy: () => busy }).batches().pipe(concatAll()).subscribe({ next: () => seen++, complete: resolve, error: reject }),
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toBe(100);
    busy = false;
    await done;
    expect(seen).toBe(300);
  });

  it('loops, shifting each pass one day later so event time keeps rising', async () => {
    const file = write('loop-2013-10-07.csv.gz', [HEADER, ...rows(2)]);
    const ticks = await lastValueFrom(new ReplayFeed({ file, speed: 0, loop: true }).batches().pipe(concatAll(), take(5), toArray()));
    expect(ticks.map((t) => t.ts - MIDNIGHT_2013_10_07 - 34_200_000)).toEqual([0, 1, 86_400_000, 86_400_001, 172_800_000]);
  });

  it('completes a looped replay of a file without ticks instead of reopening it forever', async () => {
    const file = write('empty-2013-10-07.csv.gz', [HEADER]);
    await expect(lastValueFrom(new ReplayFeed({ file, speed: 0, loop: true }).batches().pipe(concatAll(), toArray()))).resolves.toEqual([]);
  });

  it('stops reading and closes the file on unsubscribe, wherever the read is', async () => {
    const file = write('big-2013-10-07.csv.gz', [HEADER, ...rows(200_000)]);
    // Unsubscribing at different moments: the reader may be between batches, or waiting for the
    // next line from gunzip (a destroyed input alone never ended that wait, and the file stayed open).
    for (let round = 0; round < 10; round++) {
      let seen = 0;
      const subscription = new ReplayFeed({ file, speed: 0, batchSize: 100 }).batches().pipe(concatAll()).subscribe(() => seen++);
      for (let waited = 0; seen === 0 && waited < 5_000; waited += 5) await new Promise((r) => setTimeout(r, 5));
      expect(seen).toBeGreaterThan(0);
      expect(openHandles(file) ?? 1).toBe(1);
      await new Promise((r) => setTimeout(r, round * 2));
      subscription.unsubscribe();
      const stoppedAt = seen;
      for (let waited = 0; (openHandles(file) ?? 0) > 0 && waited < 1_000; waited += 5) await new Promise((r) => setTimeout(r, 5));
      expect(openHandles(file) ?? 0, `round ${round}: the file is still open 1 s after unsubscribing`).toBe(0);
      expect(seen).toBe(stoppedAt);
      expect(seen).toBeLessThan(200_000);
    }
  });

  it('fails the stream with a TickCsvError naming the file and line for a bad header or row', async () => {
    const badHeader = write('bad-header-2013-10-07.csv.gz', ['time,price', ...rows(1)]);
    await expect(lastValueFrom(new ReplayFeed({ file: badHeader, speed: 0 }).batches().pipe(concatAll()))).rejects.toThrow(TickCsvError);
    const badRow = write('bad-row-2013-10-07.csv.gz', [HEADER, ...rows(2), 'x,1,1,P,1,0']);
    await expect(lastValueFrom(new ReplayFeed({ file: badRow, speed: 0 }).batches().pipe(concatAll()))).rejects.toThrow(/bad-row-2013-10-07\.csv\.gz:4: bad row/);
    const notGzip = write('not-gzip-2013-10-07.csv.gz', [HEADER], false);
    await expect(lastValueFrom(new ReplayFeed({ file: notGzip, speed: 0 }).batches().pipe(concatAll()))).rejects.toThrow(/cannot read/);
  });

  it('rejects bad options at construction', () => {
    const file = write('opts-2013-10-07.csv.gz', [HEADER]);
    const missing = join(dir, 'nope.csv.gz');
    expect(() => new ReplayFeed({ file: missing })).toThrow(InvalidOptionError);
    expect(() => new ReplayFeed({ file: missing })).toThrow(/nope\.csv\.gz" does not exist/);
    expect(() => new ReplayFeed({ file, speed: -1 })).toThrow(/speed/);
    expect(() => new ReplayFeed({ file, symbol: 'bad symbol' })).toThrow(/symbol/);
    expect(() => new ReplayFeed({ file: write('undated.csv.gz', [HEADER]) })).toThrow(/date/);
    expect(() => new ReplayFeed({ file, date: '2013-13-40' })).toThrow(/date/);
    expect(() => new ReplayFeed({ file, timeZone: 'Mars/Olympus' })).toThrow(InvalidOptionError);
    expect(() => createFeed('replay', { symbols: ['SPY'] })).toThrow(/replay/);
    expect(createFeed('replay', { symbols: ['SPY'], replay: { file } })).toBeInstanceOf(ReplayFeed);
  });
});
