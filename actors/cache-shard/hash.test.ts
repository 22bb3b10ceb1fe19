import { describe, expect, it } from 'vitest';
import { fnv1a32, shardOf } from './hash.js';

describe('key hash', () => {
  it('is FNV-1a 32-bit: the published test vectors', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('puts a key on the same shard every time and in every process (no per-process seed)', () => {
    // Fixed here, so a change of the hash (which would move every key at an upgrade) fails.
    expect(shardOf('bars:1m:AAPL', 8)).toBe(0x821ed1ef % 8);
    expect(shardOf('bars:1m:AAPL', 7)).toBe(0x821ed1ef % 7);
    // Computed apart from this code (FNV-1a over the bytes, in another language).
    expect(fnv1a32('bars:1m:AAPL')).toBe(0x821ed1ef);
  });

  it('spreads similar keys evenly over the shards', () => {
    const shards = 8;
    const counts = new Array<number>(shards).fill(0);
    for (let i = 0; i < 80_000; i++) counts[shardOf(`bars:1m:SYM${i}`, shards)]! += 1;
    for (const n of counts) expect(Math.abs(n - 10_000)).toBeLessThan(600);
  });
});
