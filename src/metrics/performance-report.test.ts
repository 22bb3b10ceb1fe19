import { describe, expect, it } from 'vitest';
import { PerformanceReport } from './performance-report.js';

describe('PerformanceReport', () => {
  it('gathers every section, sync and async, under its name', async () => {
    const report = new PerformanceReport();
    report.register('a', () => ({ n: 1 }));
    report.register('b', async () => ({ n: 2 }));
    const { sections, generatedAt } = await report.render();
    expect(sections).toEqual({ a: { n: 1 }, b: { n: 2 } });
    expect(Date.parse(generatedAt)).toBeGreaterThan(0);
  });

  it('reports a failing, unserialisable or slow section in its place and the others still', async () => {
    const report = new PerformanceReport({ sectionTimeoutMs: 50 });
    report.register('throws', () => { throw new Error('boom'); });
    report.register('rejects', () => Promise.reject(new Error('no database')));
    report.register('bigint', () => ({ n: 1n }));
    report.register('slow', () => new Promise(() => {}));
    report.register('fine', () => 'ok');
    const started = Date.now();
    const { sections } = await report.render();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(sections.throws).toEqual({ error: 'boom' });
    expect(sections.rejects).toEqual({ error: 'no database' });
    expect((sections.bigint as { error: string }).error).toMatch(/BigInt/);
    expect(sections.slow).toEqual({ error: 'section slow took over 50 ms' });
    expect(sections.fine).toBe('ok');
  });

  it('refuses a second section of the same name', () => {
    const report = new PerformanceReport();
    report.register('a', () => 1);
    expect(() => report.register('a', () => 2)).toThrow(/twice/);
  });
});
