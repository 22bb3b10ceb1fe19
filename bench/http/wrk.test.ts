import { describe, expect, it } from 'vitest';
import { parseWrk } from './wrk.js';

const SAMPLE = `Running 10s test @ http://127.0.0.1:8081/api/v1/market/AAPL
  1 threads and 100 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.10ms  310.00us   9.80ms   91.00%
    Req/Sec    47.90k     1.20k   49.80k    88.00%
  Latency Distribution
     50%    2.05ms
     75%    2.20ms
     90%    2.41ms
     99%  850.00us
  476543 requests in 10.00s, 98.21MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 5
Requests/sec:  47654.30
Transfer/sec:      9.82MB
`;

describe('parseWrk', () => {
  it('reads requests/s, percentiles in any unit, and errors', () => {
    expect(parseWrk(SAMPLE)).toEqual({ requestsPerS: 47654.3, p50Ms: 2.05, p99Ms: 0.85, errors: 10 });
  });
  it('refuses output it does not understand', () => {
    expect(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused')).toThrow(/unexpected wrk output/);
  });
});
