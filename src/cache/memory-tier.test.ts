import { describe, expect, it } from 'vitest';
import { ENTRY_OVERHEAD_BYTES, MemoryTier } from './memory-tier.js';
import { MsgpackValueCodec } from './value-codec.js';

const codec = new MsgpackValueCodec();
const sizeOf = (v: unknown) => codec.encode(v).length;

function tier(o: Partial<{ maxItems: number; maxBytes: number; ttlMs: number; maxEntryBytes: number }> = {}, clock?: { t: number }) {
  return new MemoryTier<unknown>({ maxItems: 100, maxBytes: 1 << 20, ttlMs: 60_000, sizeOf, ...o, ...(clock ? { now: () => clock.t } : {}) });
}

describe('L1 memory tier', () => {
  it('keeps an entry for its TTL and not a millisecond past it', () => {
    const clock = { t: 1_000 };
    const l1 = tier({ ttlMs: 5_000 }, clock);
    l1.put('k', { a: 1 });
    clock.t += 4_999;
    expect(l1.peek('k')).toEqual({ a: 1 });
    clock.t += 2;
    expect(l1.peek('k')).toBeUndefined();
    expect(l1.stats()).toMatchObject({ hits: 1, misses: 1, expired: 1, items: 0 });
  });

  it('a per-entry TTL shorter than the tier TTL wins', () => {
    const clock = { t: 1_000 }; // lru-cache takes a start time of 0 for none
    const l1 = tier({ ttlMs: 5_000 }, clock);
    l1.put('short', 1, undefined, 100);
    l1.put('long', 2);
    clock.t += 200;
    expect(l1.peek('short')).toBeUndefined();
    expect(l1.peek('long')).toBe(2);
  });

  it('is bounded in bytes: the least recently used go first, counted as evictions', () => {
    const value = 'x'.repeat(1_000);
    const entry = sizeOf(value) + 2 * 2 + ENTRY_OVERHEAD_BYTES;
    const l1 = tier({ maxBytes: entry * 3 });
    l1.put('k1', value);
    l1.put('k2', value);
    l1.put('k3', value);
    expect(l1.peek('k1')).toBe(value); // k1 is now the most recently used
    l1.put('k4', value);
    expect(l1.stats()).toMatchObject({ items: 3, evictions: 1, bytes: entry * 3 });
    expect(l1.peek('k2')).toBeUndefined();
    expect(l1.peek('k1')).toBe(value);
    expect(l1.bytes).toBeLessThanOrEqual(entry * 3);
  });

  it('is bounded in items whatever their size', () => {
    const l1 = tier({ maxItems: 10 });
    for (let i = 0; i < 25; i++) l1.put(`k${i}`, i);
    expect(l1.size).toBe(10);
    expect(l1.stats().evictions).toBe(15);
    expect(l1.peek('k24')).toBe(24);
    expect(l1.peek('k14')).toBeUndefined();
  });

  it('refuses an entry over its entry bound, and drops the older value of that key', () => {
    const l1 = tier({ maxBytes: 10_000, maxEntryBytes: 500 });
    l1.put('k', 'small');
    expect(l1.put('k', 'y'.repeat(1_000))).toBe(false);
    expect(l1.peek('k')).toBeUndefined();
    expect(l1.stats().tooLarge).toBe(1);
    return expect(l1.set('k', 'y'.repeat(1_000))).rejects.toMatchObject({ name: 'CacheError', code: 'VALUE_TOO_LARGE', tier: 'l1' });
  });

  it('sheds the least recently used fraction, and lists the most read keys', () => {
    const l1 = tier();
    for (let i = 0; i < 10; i++) l1.put(`k${i}`, i);
    for (let i = 0; i < 5; i++) l1.peek('k9');
    l1.peek('k0');
    l1.peek('k0');
    expect(l1.hottest(2)).toEqual([{ key: 'k9', hits: 5 }, { key: 'k0', hits: 2 }]);
    expect(l1.shed(0.5)).toBe(5);
    // k0 was read, so it is not among the least recently used.
    expect(l1.peek('k0')).toBe(0);
    expect(l1.peek('k1')).toBeUndefined();
    expect(l1.size).toBe(5);
  });

  it('refuses bounds that are not positive integers', () => {
    expect(() => tier({ maxItems: 0 })).toThrow(RangeError);
    expect(() => tier({ maxBytes: 1.5 })).toThrow(RangeError);
  });
});
