/**
 * Per-connection command rate limit. Checked synchronously on the socket's message path, so it
 * must not allocate a promise per frame as the async limiter libraries do.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(private readonly ratePerSec: number, private readonly burst: number, now = performance.now()) {
    this.tokens = burst;
    this.last = now;
  }
  take(now = performance.now()): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.ratePerSec) / 1000);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
