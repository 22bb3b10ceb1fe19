import { afterEach, describe, expect, it } from 'vitest';
import { CacheError, type CacheTier } from '../../src/cache/index.js';

/** A fresh, empty tier under contract, whose entries are at most `maxEntryBytes` encoded; `close` removes what it stored. */
export type TierFactory = (o: { maxEntryBytes: number }) => Promise<{ tier: CacheTier<unknown>; close(): Promise<void> }>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The CacheTier contract: L1 (memory), L2 (Redis) and L3 (PostgreSQL) behave alike for the
 * shards, whatever holds the entries.
 */
export function cacheTierContract(name: string, make: TierFactory): void {
  describe(`CacheTier contract: ${name}`, () => {
    const open: { close(): Promise<void> }[] = [];
    const tier = async (maxEntryBytes = 64 * 1024) => {
      const t = await make({ maxEntryBytes });
      open.push(t);
      return t.tier;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((t) => t.close()));
    });

    it('a missing key is undefined; what is set reads back equal, and a second set replaces it', async () => {
      const t = await tier();
      expect(await t.get('nope')).toBeUndefined();
      const values: unknown[] = [{ a: 1, nested: { list: [1, 'two', null, true] } }, 'text', 0, -1.5, null, [], { s: 'ünïcødé 🙂' }];
      for (const [i, v] of values.entries()) await t.set(`k${i}`, v);
      for (const [i, v] of values.entries()) expect(await t.get(`k${i}`)).toEqual(v);
      await t.set('k0', { replaced: true });
      expect(await t.get('k0')).toEqual({ replaced: true });
      const s = t.stats();
      expect(s.hits).toBe(values.length + 1);
      expect(s.misses).toBe(1);
      expect(s.sets).toBe(values.length + 1);
    });

    it('keys are data: spaces, quotes, SQL, glob characters and unicode are stored as themselves', async () => {
      const t = await tier();
      const keys = ["'; drop table cache_entries; --", 'a b', 'glob*?[x]\\', 'percent%_', 'ключ:🙂', 'x'.repeat(512)];
      for (const [i, k] of keys.entries()) await t.set(k, i);
      for (const [i, k] of keys.entries()) expect(await t.get(k)).toBe(i);
      expect(await t.get('glob')).toBeUndefined();
      expect(await t.get('percent')).toBeUndefined();
    });

    it('getMany answers in the order asked, misses as undefined', async () => {
      const t = await tier();
      await t.set('a', 1);
      await t.set('c', 3);
      expect(await t.getMany(['c', 'b', 'a', 'a'])).toEqual([3, undefined, 1, 1]);
      expect(await t.getMany([])).toEqual([]);
    });

    it('delete says whether there was an entry', async () => {
      const t = await tier();
      await t.set('k', 1);
      expect(await t.delete('k')).toBe(true);
      expect(await t.delete('k')).toBe(false);
      expect(await t.get('k')).toBeUndefined();
    });

    it('an entry is gone after its TTL', async () => {
      const t = await tier();
      await t.set('short', 'v', 150);
      await t.set('long', 'v', 60_000);
      expect(await t.get('short')).toBe('v');
      await sleep(350);
      expect(await t.get('short')).toBeUndefined();
      expect(await t.get('long')).toBe('v');
    });

    it('clear(prefix) deletes exactly the keys with that prefix, glob characters taken literally; clear("") all', async () => {
      const t = await tier();
      for (const k of ['bars:A:1', 'bars:A:2', 'bars:AB:1', 'bars:*', 'bars:[A]:1', 'news:1']) await t.set(k, k);
      expect(await t.clear('bars:A:')).toBe(2);
      expect(await t.getMany(['bars:A:1', 'bars:AB:1', 'news:1'])).toEqual([undefined, 'bars:AB:1', 'news:1']);
      expect(await t.clear('bars:*')).toBe(1);
      expect(await t.clear('bars:[A]')).toBe(1);
      expect(await t.get('bars:AB:1')).toBe('bars:AB:1');
      expect(await t.clear('')).toBe(2);
      expect(await t.getMany(['bars:AB:1', 'news:1'])).toEqual([undefined, undefined]);
    });

    it('refuses an entry over its bound with VALUE_TOO_LARGE naming the tier, counted', async () => {
      const t = await tier(1_000);
      const err = await t.set('big', 'x'.repeat(5_000)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CacheError);
      expect(err).toMatchObject({ code: 'VALUE_TOO_LARGE', tier: t.name });
      expect(t.stats().tooLarge).toBe(1);
      expect(await t.get('big')).toBeUndefined();
    });
  });
}
