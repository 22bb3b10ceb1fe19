import { describe, expect, it } from 'vitest';
import { processMemory } from './process-memory.js';

const emfile = () => {
  throw Object.assign(new Error('EMFILE: too many open files, uv_resident_set_memory'), { code: 'EMFILE' });
};

/** Runs `body` with process.memoryUsage failing as it does at the open-file limit. */
function atFileLimit(rss: () => number, body: () => void): void {
  const real = process.memoryUsage;
  process.memoryUsage = Object.assign(emfile, { rss }) as typeof process.memoryUsage;
  try {
    body();
  } finally {
    process.memoryUsage = real;
  }
}

describe('processMemory', () => {
  it('reports rss and heap', () => {
    const m = processMemory();
    expect(m.rssBytes).toBeGreaterThan(0);
    expect(m.heapUsedBytes).toBeGreaterThan(0);
    expect(m.heapTotalBytes).toBeGreaterThanOrEqual(m.heapUsedBytes ?? 0);
  });

  it('falls back to the V8 heap and rss() when memoryUsage() fails', () => {
    atFileLimit(process.memoryUsage.rss, () => {
      const m = processMemory();
      expect(m.rssBytes).toBeGreaterThan(0);
      expect(m.heapUsedBytes).toBeGreaterThan(0);
    });
  });

  it('omits rss when even rss() fails', () => {
    atFileLimit(emfile, () => {
      const m = processMemory();
      expect(m.rssBytes).toBeUndefined();
      expect(m.heapTotalBytes).toBeGreaterThan(0);
    });
  });
});
