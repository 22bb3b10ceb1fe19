import { describe, expect, it } from 'vitest';
import { fanoutRatioRows } from './fanout-rows.js';
import type { BenchResults } from './report.js';

const step = (ratePerChannel: number, ok: boolean, p99Ms: number) => ({ ratePerChannel, ok, p99Ms });
const setup = (steps: ReturnType<typeof step>[], maxSustainedPerS: number, atRatePerChannel: number) => ({
  memory: { kibPerConnection: 2 },
  result: { saturation: { steps, maxSustainedPerS, atRatePerChannel } },
});

describe('fan-out ratio rows', () => {
  it('compares p99 at the highest rate both servers held, and at each one\'s own maximum without a target', () => {
    const results = {
      single: {
        supernova: setup([step(100, true, 10), step(200, true, 20), step(500, true, 90), step(600, false, 900)], 5_000_000, 500),
        raw: setup([step(100, true, 12), step(200, true, 30), step(500, false, 400), step(250, true, 60)], 2_500_000, 250),
      },
    } as unknown as BenchResults;
    const rows = fanoutRatioRows(results, 10_000);
    expect(rows.find((r) => r.metric === 'max msgs/s')).toMatchObject({ supernova: 5_000_000, value: 2_500_000, target: 0.8 });
    expect(rows.find((r) => r.metric.startsWith('p99 ms at 200'))).toMatchObject({ metric: 'p99 ms at 200/s', supernova: 20, value: 30, target: 1 });
    const own = rows.find((r) => r.metric === 'p99 ms at own max');
    expect(own).toMatchObject({ supernova: 90, value: 60 });
    expect(own?.target).toBeUndefined();
  });
});
