/** What one HTTP load measurement gives, whatever generated the load. */
export interface HttpLoadResult {
  tool: 'wrk' | 'autocannon';
  connections: number;
  durationS: number;
  requestsPerS: number;
  p50Ms: number;
  p99Ms: number;
  /** Socket errors, timeouts and non-2xx answers. */
  errors: number;
}
