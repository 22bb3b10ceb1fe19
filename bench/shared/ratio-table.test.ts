import { describe, expect, it } from 'vitest';
import { meetsTarget, ratioOf, ratioTable, type RatioRow } from './ratio-table.js';

const rows: RatioRow[] = [
  { benchmark: 'fan-out 10,000 subs', metric: 'max msgs/s', supernova: 1_600_000, baseline: 'raw uWS', value: 2_000_000, higherIsBetter: true, target: 0.8 },
  { benchmark: 'fan-out 10,000 subs', metric: 'max msgs/s', supernova: 1_600_000, baseline: 'ws', value: 200_000, higherIsBetter: true, target: 10 },
  { benchmark: 'fan-out 10,000 subs', metric: 'p99 ms at max', supernova: 12, baseline: 'ws', value: 10, higherIsBetter: false, target: 1 },
  { benchmark: 'scale 50,000 idle subs', metric: 'RSS MiB', supernova: 900, baseline: 'raw uWS', value: 400, higherIsBetter: false, limit: 1024 },
  { benchmark: 'http /x, 100 conn', metric: 'req/s', supernova: 50_000, baseline: 'Fastify', value: undefined, higherIsBetter: true, target: 1.3 },
];

describe('ratio table', () => {
  it('computes ratios and target verdicts in both directions', () => {
    expect(ratioOf(rows[0] as RatioRow)).toBeCloseTo(0.8, 9);
    expect(meetsTarget(rows[0] as RatioRow)).toBe(true);
    expect(meetsTarget(rows[1] as RatioRow)).toBe(false); // 8x < 10x
    expect(meetsTarget(rows[2] as RatioRow)).toBe(false); // 1.2x slower than allowed
    expect(meetsTarget(rows[3] as RatioRow)).toBe(true); // absolute: 900 MiB < 1024 MiB, whatever the ratio
    expect(meetsTarget({ ...(rows[3] as RatioRow), supernova: 1100 })).toBe(false);
    expect(meetsTarget({ ...(rows[3] as RatioRow), supernova: undefined })).toBeUndefined();
    expect(meetsTarget(rows[4] as RatioRow)).toBeUndefined();
  });

  it('prints one line per comparison, naming benchmark and metric once', () => {
    const lines = ratioTable(rows).split('\n');
    expect(lines).toHaveLength(2 + rows.length);
    expect(lines[2]).toMatch(/^fan-out 10,000 subs\s+max msgs\/s\s+1,600,000 raw uWS\s+2,000,000\s+0.80x\s+>= 0.8x\s+yes$/);
    expect(lines[3]).toMatch(/^\s+ws\s+200,000\s+8.00x\s+>= 10x\s+NO$/);
    expect(lines[4]).toMatch(/p99 ms at max\s+12.00 ws\s+10.00\s+1.20x\s+<= 1x\s+NO$/);
    expect(lines[5]).toMatch(/^scale 50,000 idle subs\s+RSS MiB\s+900 raw uWS\s+400\s+2.25x\s+SN < 1024\s+yes$/);
    expect(lines[6]).toMatch(/Fastify\s+-\s+-\s+>= 1.3x\s*$/);
  });
});
