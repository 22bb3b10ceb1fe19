import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BarStore } from './bar-store.js';
import { queryArchivedBars } from './archived-bars-query.js';
import type { BarArchive } from './bar-archive.js';
import type { BarsPage } from './bars-query.js';
import { UnknownSymbolError } from '../errors.js';
import type { Bar } from '../ports.js';

const bar = (start: number, symbol = 'A'): Bar => ({
  symbol, interval: '1m', start, end: start + 60_000, open: start, high: start, low: start, close: start, volume: 1, vwap: start, trades: 1, final: true,
});

/** The archive's contract over a sorted array: what PostgreSQL answers, without the database (the paging is what is tested here). */
function arrayArchive(bars: Bar[]): BarArchive & { calls: number } {
  const archive = {
    calls: 0,
    async before(symbol: string, _interval: string, before: number | undefined, limit: number, skip = 0) {
      archive.calls++;
      const older = bars.filter((b) => b.symbol === symbol && (before === undefined || b.start < before));
      return older.slice(Math.max(0, older.length - skip - limit), older.length - skip);
    },
    async countBefore(symbol: string, _interval: string, before: number | undefined) {
      archive.calls++;
      return bars.filter((b) => b.symbol === symbol && (before === undefined || b.start < before)).length;
    },
    async hasSymbol(symbol: string) {
      return bars.some((b) => b.symbol === symbol);
    },
  };
  return archive;
}

/** A day of `n` bars, the newest `ring` of them also in memory (as after persistence: memory holds the tail). */
function setup(n: number, ring: number) {
  const all = Array.from({ length: n }, (_, i) => bar(i * 60_000));
  const store = new BarStore(['1m'], Math.max(1, ring));
  if (ring > 0) for (const b of all.slice(n - ring)) store.add(b);
  const source = { store, hasSymbol: (s: string) => s === 'A' && ring > 0, symbols: () => (ring > 0 ? ['A'] : []) };
  return { all, store, source, archive: arrayArchive(all.slice(0, n - ring)) };
}

const starts = (p: BarsPage) => p.items.map((b) => b.start as number);

describe('queryArchivedBars', () => {
  it('pages by cursor through ring and archive: every bar once, in order, ending with no cursor', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 17 }), async (n, ringWanted, limit) => {
      const ring = Math.min(n, ringWanted);
      const { all, source, archive } = setup(n, ring);
      if (n === 0) return;
      const seen: number[] = [];
      let cursor: string | null | undefined;
      for (let guard = 0; guard < 100; guard++) {
        const page = await queryArchivedBars(source, archive, { symbol: 'A', limit, ...(cursor ? { cursor } : {}) });
        expect(page.items.length).toBeLessThanOrEqual(limit);
        // Only a page that ends exactly where the ring does may lead to an empty one.
        if (page.items.length === 0) expect(page.next_cursor).toBeNull();
        seen.unshift(...starts(page));
        cursor = page.next_cursor;
        if (!cursor) break;
      }
      expect(seen).toEqual(all.map((b) => b.start));
    }), { numRuns: 300 });
  });

  it('page N is the same slice of the whole series as if it were all in memory', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 12 }), async (n, ringWanted, limit, pageNo) => {
      const ring = Math.min(n, ringWanted);
      const { all, source, archive } = setup(n, ring);
      const page = await queryArchivedBars(source, archive, { symbol: 'A', limit, page: pageNo });
      const to = Math.max(0, n - (pageNo - 1) * limit);
      expect(starts(page)).toEqual(all.slice(Math.max(0, to - limit), to).map((b) => b.start));
      expect(page.total).toBe(n);
      expect(page.next_cursor !== null).toBe(to - limit > 0);
    }), { numRuns: 300 });
  });

  it('answers from memory alone when the ring holds the whole page', async () => {
    const { source, archive } = setup(100, 50);
    const page = await queryArchivedBars(source, archive, { symbol: 'A', limit: 20 });
    expect(page.items).toHaveLength(20);
    expect(archive.calls).toBe(0);
  });

  it('knows a symbol only the archive holds (after a restart), and refuses one neither knows', async () => {
    const { source, archive } = setup(10, 0);
    expect(starts(await queryArchivedBars(source, archive, { symbol: 'A', limit: 3 }))).toEqual([7, 8, 9].map((i) => i * 60_000));
    await expect(queryArchivedBars(source, archive, { symbol: 'B' })).rejects.toBeInstanceOf(UnknownSymbolError);
  });
});
