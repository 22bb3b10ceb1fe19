import { afterEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { MemoryWatchdog, type MemoryReading } from './memory-watchdog.js';

const log = pino({ level: 'silent' });
const MB = 1024 * 1024;

/** A watchdog with marks at 100 and 80 MB whose RSS is whatever the test sets. */
function watchdog(intervalMs = 1_000) {
  const rss = { value: 50 * MB as number | undefined };
  const dog = new MemoryWatchdog({ highWaterBytes: 100 * MB, lowWaterBytes: 80 * MB, intervalMs, log, readRss: () => rss.value });
  return { dog, rss };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('MemoryWatchdog', () => {
  it('enters pressure at the high-water mark and leaves it only at the low-water mark', () => {
    const { dog, rss } = watchdog();
    const states: string[] = [];
    for (const mb of [50, 99, 100, 90, 81, 120, 80, 95, 99, 100]) {
      rss.value = mb * MB;
      states.push(`${mb}:${dog.check()}`);
    }
    expect(states).toEqual(['50:normal', '99:normal', '100:pressure', '90:pressure', '81:pressure', '120:pressure', '80:normal', '95:normal', '99:normal', '100:pressure']);
    expect(dog.report()).toEqual({ state: 'pressure', rssBytes: 100 * MB, highWaterBytes: 100 * MB, lowWaterBytes: 80 * MB, pressureEpisodes: 2 });
  });

  it('calls shedders on entering pressure and at every check while in it, and recovery listeners once on the way back', () => {
    const { dog, rss } = watchdog();
    const shed: MemoryReading[] = [];
    let recovered = 0;
    dog.onPressure((r) => shed.push(r));
    dog.onNormal(() => recovered++);
    dog.check();
    expect(shed).toEqual([]);
    rss.value = 150 * MB;
    dog.check();
    rss.value = 90 * MB;
    dog.check();
    expect(shed).toEqual([
      { rssBytes: 150 * MB, highWaterBytes: 100 * MB, lowWaterBytes: 80 * MB, entering: true },
      { rssBytes: 90 * MB, highWaterBytes: 100 * MB, lowWaterBytes: 80 * MB, entering: false },
    ]);
    rss.value = 10 * MB;
    dog.check();
    dog.check();
    expect(recovered).toBe(1);
    expect(shed).toHaveLength(2);
  });

  it('keeps calling the other shedders when one throws, and a removed shedder is not called', () => {
    const { dog, rss } = watchdog();
    const calls: string[] = [];
    dog.onPressure(() => {
      calls.push('bad');
      throw new Error('cannot shed');
    });
    const remove = dog.onPressure(() => calls.push('removed'));
    dog.onPressure(() => calls.push('good'));
    remove();
    rss.value = 200 * MB;
    expect(dog.check()).toBe('pressure');
    dog.check();
    expect(calls).toEqual(['bad', 'good', 'bad', 'good']);
  });

  it('leaves the state as it was when RSS cannot be read (out of file descriptors)', () => {
    const { dog, rss } = watchdog();
    rss.value = 200 * MB;
    dog.check();
    rss.value = undefined;
    expect(dog.check()).toBe('pressure');
    expect(dog.report().rssBytes).toBeNull();
    rss.value = 1 * MB;
    expect(dog.check()).toBe('normal');
  });

  it('checks once at start, then at its interval until stopped', () => {
    vi.useFakeTimers();
    const { dog, rss } = watchdog(500);
    rss.value = 200 * MB;
    dog.start();
    expect(dog.state).toBe('pressure');
    rss.value = 1 * MB;
    vi.advanceTimersByTime(499);
    expect(dog.state).toBe('pressure');
    vi.advanceTimersByTime(1);
    expect(dog.state).toBe('normal');
    dog.stop();
    rss.value = 200 * MB;
    vi.advanceTimersByTime(5_000);
    expect(dog.state).toBe('normal');
  });

  it('refuses a low-water mark that is not below the high one', () => {
    expect(() => new MemoryWatchdog({ highWaterBytes: 100, lowWaterBytes: 100, intervalMs: 1000, log })).toThrow(RangeError);
  });

  it('reads the real RSS by default', () => {
    const dog = new MemoryWatchdog({ highWaterBytes: Number.MAX_SAFE_INTEGER, lowWaterBytes: 1, intervalMs: 1000, log });
    expect(dog.check()).toBe('normal');
    expect(dog.report().rssBytes).toBeGreaterThan(10 * MB);
  });
});
