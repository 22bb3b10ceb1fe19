import { describe, expect, it } from 'vitest';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { StreamWrites } from './stream-writes.js';

const writes = (maxWrites = 1000, maxBytes = 1 << 20, errors: string[] = []) =>
  new StreamWrites({ maxWrites, maxBytes, onError: (where, err) => errors.push(`${where}: ${(err as Error).message}`) });

describe('StreamWrites', () => {
  it('makes nothing during the callback, then everything in call order in one pass after it', async () => {
    const q = writes();
    const done: number[] = [];
    for (let i = 0; i < 5; i++) q.run(() => done.push(i), 1, 10);
    expect(done).toEqual([]);
    await nextTurn();
    expect(done).toEqual([0, 1, 2, 3, 4]);
    expect(q.stats()).toEqual({ deferred: 1, full: 0, stopped: 0 });
  });

  it('takes work queued during a pass into that pass, once', async () => {
    const q = writes();
    const done: string[] = [];
    q.run(() => {
      done.push('a');
      q.run(() => done.push('goodbye'), 1, 1);
    }, 1, 1);
    q.run(() => done.push('b'), 1, 1);
    await nextTurn();
    await nextTurn();
    expect(done).toEqual(['a', 'b', 'goodbye']);
    expect(q.stats().deferred).toBe(1);
  });

  it('writes at once when the held writes or bytes pass their limit, counting the pass', () => {
    const q = writes(10, 100);
    const done: string[] = [];
    q.run(() => done.push('first'), 6, 10);
    q.run(() => done.push('second'), 6, 10);
    expect(done).toEqual(['first', 'second']);
    q.run(() => done.push('big'), 1, 101);
    expect(done).toEqual(['first', 'second', 'big']);
    expect(q.stats()).toEqual({ deferred: 0, full: 2, stopped: 0 });
  });

  it('reports a failing write and goes on with the rest', async () => {
    const errors: string[] = [];
    const q = writes(1000, 1 << 20, errors);
    const done: number[] = [];
    q.run(() => done.push(1), 1, 1);
    q.run(() => {
      throw new Error('socket gone');
    }, 1, 1);
    q.run(() => done.push(3), 1, 1);
    await nextTurn();
    expect(done).toEqual([1, 3]);
    expect(errors).toEqual(['stream-write: socket gone']);
  });

  it('flushes on stop and writes at once afterwards, leaving no immediate behind', async () => {
    const q = writes();
    const done: string[] = [];
    q.run(() => done.push('queued'), 1, 1);
    q.stop();
    expect(done).toEqual(['queued']);
    q.run(() => done.push('late'), 1, 1);
    expect(done).toEqual(['queued', 'late']);
    await nextTurn();
    expect(q.stats()).toEqual({ deferred: 0, full: 0, stopped: 2 });
  });
});
