import { describe, expect, it } from 'vitest';
import { processMemory } from './process-memory.js';

describe('processMemory', () => {
  it('reports rss and heap', () => {
    const m = processMemory();
    expect(m.rssBytes).toBeGreaterThan(0);
    expect(m.heapUsedBytes).toBeGreaterThan(0);
    expect(m.heapTotalBytes).toBeGreaterThanOrEqual(m.heapUsedBytes ?? 0);
  });

  it('falls back to rss alone when memoryUsage() fails as it does at the open-file limit', () => {
    const real = process.memoryUsage;
    // Keeps rss(), as Node's does: it needs no file descriptor when memoryUsage() gives up.
    process.memoryUsage = Object.assign(
      () => {
        throw Object.assign(new Error('EMFILE: too many open files, uv_resident_set_memory'), { code: 'EMFILE' });
      },
      { rss: real.rss },
    ) as typeof process.memoryUsage;
    try {
      const m = processMemory();
      expect(Object.keys(m)).toEqual(['rssBytes']);
      expect(m.rssBytes).toBeGreaterThan(0);
    } finally {
      process.memoryUsage = real;
    }
  });
});
