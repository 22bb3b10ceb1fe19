import { describe, it, expect } from 'vitest';
import { VirtualTimeScheduler, interval, map, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { conflate } from './conflate.js';
import { InvalidOptionError } from '../errors.js';

function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('conflate', () => {
  it('emits the first value at once and the latest of a burst when the window ends', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      // a leads at 0; b, c, d land inside [0, 5) so only d comes out, at 5.
      const source = cold('abcd 10ms |');
      expectObservable(source.pipe(conflate(5))).toBe('a 4ms d 8ms |');
    });
  });

  it('emits immediately again after a quiet period', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      // Window [0, 3) closes empty, so b at 10 is a leading emit, and so is c at 20.
      const source = cold('a 9ms b 9ms c 5ms |');
      expectObservable(source.pipe(conflate(3))).toBe('a 9ms b 9ms c 5ms |');
    });
  });

  it('keeps emissions at least one window apart under sustained input', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      // One value every 3 ms, window 5 (chosen so no value lands exactly on a window edge):
      // leading a@0, then the latest at each window end: 5 -> b, 10 -> d, 15 -> e.
      const source = cold('a 2ms b 2ms c 2ms d 2ms e 9ms |');
      expectObservable(source.pipe(conflate(5))).toBe('a 4ms b 4ms d 4ms e 6ms |');
    });
  });

  it('flushes the pending value on completion', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('abc|').pipe(conflate(10))).toBe('a 2ms (c|)');
    });
  });

  it('completes without a trailing emit when nothing is pending', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a|').pipe(conflate(10))).toBe('a|');
      expectObservable(cold('|').pipe(conflate(10))).toBe('|');
    });
  });

  it('conflates keys independently', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const values = {
        a: { k: 'X', v: 1 },
        b: { k: 'Y', v: 1 },
        c: { k: 'X', v: 2 },
        d: { k: 'Y', v: 2 },
        e: { k: 'X', v: 3 },
        f: { k: 'Z', v: 1 },
      };
      // X: a@0 leads, c@2 and e@4 collapse to e at 10. Y: b@1 leads, d@3 trails at 11.
      // Z: f@5 leads even though X and Y are mid-window.
      const source = cold('abcdef 10ms |', values);
      expectObservable(source.pipe(conflate(10, (x) => x.k))).toBe('ab 3ms f 4ms ed 4ms |', values);
    });
  });

  it('flushes every key on completion, in the order their windows opened', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const values = { a: 'x1', b: 'y1', c: 'y2', d: 'x2' };
      const source = cold('abcd|', values);
      expectObservable(source.pipe(conflate(100, (s) => s[0]))).toBe('ab 2ms (dc|)', values);
    });
  });

  it('emits pass-through values at once, dropping their key\'s pending value and keeping its window', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const values = {
        a: { k: 'X', v: 1, final: false },
        b: { k: 'X', v: 2, final: false },
        F: { k: 'X', v: 3, final: true },
        c: { k: 'X', v: 4, final: false },
        y: { k: 'Y', v: 1, final: false },
        z: { k: 'Y', v: 2, final: false },
      };
      // X: a leads at 0; b (2) is pending when F passes through at 3, so b is dropped; X's window
      // stays open, so c (4) waits for its end at 10. Y is untouched: y leads at 1, z trails at 11.
      const source = cold('aybFcz 10ms |', values);
      const options = { passThrough: (x: (typeof values)['a']) => x.final };
      expectObservable(source.pipe(conflate(10, (x) => x.k, undefined, options))).toBe('ay 1ms F 6ms cz 4ms |', values);
    });
  });

  it('keeps the pending value when supersedes says the pass-through does not make it stale', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const values = { a: 'a1', b: 'b1', F: 'F2' };
      // F is of another generation (2) than b (1): b survives it and trails at 10.
      const options = { passThrough: (x: string) => x.startsWith('F'), supersedes: (f: string, p: string) => f[1] === p[1] };
      expectObservable(cold('abF 20ms |', values).pipe(conflate(10, undefined, undefined, options))).toBe('a 1ms F 7ms b 12ms |', values);
    });
  });

  it('never lets a pending value out after a pass-through of its key', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const values = { a: 'a', b: 'b', F: 'F' };
      const options = { passThrough: (x: string) => x === 'F' };
      expectObservable(cold('abF 20ms |', values).pipe(conflate(10, undefined, undefined, options))).toBe('a 1ms F 20ms |', values);
    });
  });

  it('forwards errors at once and drops what was pending', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('ab#').pipe(conflate(10))).toBe('a 1ms #');
    });
  });

  it('unsubscribes from the source when unsubscribed', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a 1ms b 20ms |');
      expectObservable(source.pipe(conflate(5)), '^ 3ms !').toBe('a');
      expectSubscriptions(source.subscriptions).toBe('^ 3ms !');
    });
  });

  it('emits the latest value to the letter, including undefined', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const values = { a: 1, u: undefined };
      expectObservable(cold('au|', values).pipe(conflate(5))).toBe('a 1ms (u|)', values);
    });
  });

  it('leaves no timer behind after unsubscribe or downstream take', () => {
    const scheduler = new VirtualTimeScheduler(undefined, 1_000);
    const seen: number[] = [];
    const sub = interval(1, scheduler)
      .pipe(
        map((i) => i % 3),
        conflate(10, (k) => k, scheduler),
      )
      .subscribe((v) => seen.push(v));
    scheduler.maxFrames = 55;
    scheduler.flush();
    sub.unsubscribe();
    expect(scheduler.actions).toHaveLength(0);
    expect(seen.length).toBeGreaterThan(3);

    interval(1, scheduler)
      .pipe(conflate(3, undefined, scheduler), take(2))
      .subscribe();
    scheduler.maxFrames = 1_000;
    scheduler.flush();
    expect(scheduler.actions).toHaveLength(0);
  });

  it('rejects a window that is not a positive number', () => {
    expect(() => conflate(0)).toThrow(InvalidOptionError);
    expect(() => conflate(Number.NaN)).toThrow(InvalidOptionError);
    expect(() => conflate(-5)).toThrow(/windowMs/);
  });
});
