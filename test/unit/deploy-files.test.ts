import { describe, expect, it } from 'vitest';
import { exposedMetricNames, promqlMetricNames } from '../support/deploy-files.js';

/** The readers the deployment tests compare metric names with. */
describe('promqlMetricNames', () => {
  it.each([
    ['histogram_quantile(0.99, sum by (instance, le) (rate(supernova_http_request_duration_seconds_bucket[5m]))) > 0.25', ['supernova_http_request_duration_seconds_bucket']],
    ['sum by (instance) (rate(a_total{status=~"5.."}[5m])) / sum by (instance) (rate(a_total[5m])) > 0.05 and on(instance) b > 1e3', ['a_total', 'b']],
    ['process_resident_memory_bytes > 4 * 1024 ^ 3', ['process_resident_memory_bytes']],
    ['max by (instance) (x{instance=~"$instance"}) unless ignoring(code) rate(y[$__rate_interval] offset 5m)', ['x', 'y']],
    ['up{job="supernova"} == bool 0', ['up']],
  ])('%s', (expr, names) => {
    expect(promqlMetricNames(expr).sort()).toEqual(names.sort());
  });
});

describe('exposedMetricNames', () => {
  it('lists HELP lines, and the series of histograms and summaries', () => {
    const text = [
      '# HELP a_total A', '# TYPE a_total counter', 'a_total 1',
      '# HELP h_seconds H', '# TYPE h_seconds histogram', 'h_seconds_bucket{le="+Inf"} 1',
      '# HELP s S', '# TYPE s summary',
    ].join('\n');
    expect([...exposedMetricNames(text)].sort()).toEqual(['a_total', 'h_seconds', 'h_seconds_bucket', 'h_seconds_count', 'h_seconds_sum', 's', 's_count', 's_sum']);
  });
});
