import autocannon from 'autocannon';
import type { HttpLoadResult } from './load-result.js';

/** autocannon as a library, when wrk is not installed; it runs in this (load-side) process. */
export async function runAutocannon(url: string, connections: number, durationS: number): Promise<HttpLoadResult> {
  const r = await autocannon({ url, connections, duration: durationS, timeout: 5 });
  return {
    tool: 'autocannon',
    connections,
    durationS,
    requestsPerS: r.requests.average,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    errors: r.errors + r.timeouts + r.non2xx,
  };
}
