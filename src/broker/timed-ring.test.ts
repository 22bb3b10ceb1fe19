import { describe, expect, it } from 'vitest';
import { TimedRing } from './timed-ring.js';

const contents = <T>(ring: TimedRing<T>): [T | undefined, number][] => Array.from({ length: ring.size }, (_, i) => [ring.at(i), ring.timeAt(i)]);

describe('TimedRing', () => {
  it('keeps the newest `capacity` items with their times, oldest first', () => {
    const ring = new TimedRing<string>(3);
    ['a', 'b', 'c', 'd'].forEach((x, i) => ring.push(x, 10 * i));
    expect(contents(ring)).toEqual([['b', 10], ['c', 20], ['d', 30]]);
    expect(ring.at(3)).toBeUndefined();
    expect(ring.timeAt(-1)).toBeNaN();
  });

  it('drops items older than maxAge from the oldest end, across the wrap', () => {
    const ring = new TimedRing<number>(4);
    for (let i = 0; i < 6; i++) ring.push(i, 100 + i);
    ring.dropOlderThan(107, 3);
    expect(contents(ring)).toEqual([[4, 104], [5, 105]]);
    ring.dropOlderThan(1_000, 0);
    expect(ring.size).toBe(0);
    ring.push(9, 1_000);
    expect(contents(ring)).toEqual([[9, 1_000]]);
  });

  it('grows to its capacity as items come, keeping their order across a wrap, then overwrites the oldest', () => {
    const ring = new TimedRing<number>(10);
    for (let i = 0; i < 3; i++) ring.push(i, i);
    // The head moves off slot 0, so the next pushes wrap before the ring has to grow.
    ring.dropOlderThan(3, 1);
    for (let i = 3; i < 9; i++) ring.push(i, i);
    expect(contents(ring)).toEqual([2, 3, 4, 5, 6, 7, 8].map((i) => [i, i]));
    for (let i = 9; i < 15; i++) ring.push(i, i);
    expect(ring.size).toBe(10);
    expect(contents(ring)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14].map((i) => [i, i]));
    ring.dropOlderThan(14, 2);
    expect(contents(ring)).toEqual([[12, 12], [13, 13], [14, 14]]);
  });

  it('holds nothing with capacity 0', () => {
    const ring = new TimedRing<number>(0);
    ring.push(1, 1);
    ring.dropOlderThan(5, 0);
    expect(ring.size).toBe(0);
  });
});

describe('TimedRing weights', () => {
  it('sums the weights of what it holds through overwrites, drops and expiry', () => {
    const ring = new TimedRing<string>(3);
    ring.push('a', 1, 10);
    ring.push('b', 2, 20);
    ring.push('c', 3, 30);
    ring.push('d', 4, 40);
    expect(ring.weight).toBe(90);
    expect(ring.dropOldest()).toBe(true);
    expect(ring.weight).toBe(70);
    ring.dropOlderThan(10, 6);
    expect(ring.weight).toBe(40);
    expect(ring.weightAt(0)).toBe(40);
    ring.dropOlderThan(100, 0);
    expect(ring.weight).toBe(0);
    expect(ring.dropOldest()).toBe(false);
  });
});
