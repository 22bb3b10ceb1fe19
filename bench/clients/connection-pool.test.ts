import { describe, expect, it } from 'vitest';
import { ConnectionPool } from './connection-pool.js';
import { scanTextFrame, type LineSink } from './push-scanner.js';

/** The accounting of a pool, fed text frames as the subscriber pool feeds it. */
class ScannedPool extends ConnectionPool {
  now = 0;
  timed = true;
  private readonly sink: LineSink = {
    push: (ts, first) => {
      if (first) this.delivered(ts, this.now, this.timed);
      else this.furtherStamp(ts, this.now, this.timed);
    },
    ping: () => {},
    other: () => {},
  };

  feed(text: string): void {
    scanTextFrame(Buffer.from(text), this.sink);
  }

  protected openOne(): void {}

  stop(): Promise<void> {
    return Promise.resolve();
  }
}

const ticks = '{"push":{"channel":"ticks:SPY","pub":{"data":{"price":[168.1,168.11],"size":[100,200],"ts":[1000,1002]},"offset":42}}}';
const samples = (pool: ConnectionPool): number => pool.snapshot(true).histogram.buckets.reduce((n, [, c]) => n + c, 0);

describe('ConnectionPool accounting', () => {
  it('counts a ticks publication once and times each of its trades from when it was due', () => {
    const pool = new ScannedPool();
    pool.setTimebase({ wallOrigin: 50_000, eventOrigin: 1000, speed: 100, channels: ['ticks:SPY'] });
    pool.now = 50_003;
    pool.feed(ticks);
    const snap = pool.snapshot(true);
    expect(snap.received).toBe(1);
    expect(samples(pool)).toBe(2);
    // Due at 50,000 and 50,000.02: 3 ms and 2.98 ms late.
    expect(snap.histogram.maxUs).toBe(3000);
    expect(snap.histogram.sumUs).toBe(5980);
    expect(snap.unstamped).toBe(0);
  });

  it('counts the publications of untimed subscribers without timing them', () => {
    const pool = new ScannedPool();
    pool.setTimebase({ wallOrigin: 0, eventOrigin: 0, speed: 1, channels: ['ticks:SPY'] });
    pool.timed = false;
    pool.feed(`${ticks}\n${ticks}`);
    expect(pool.snapshot(true)).toMatchObject({ received: 2, untimed: 2, unstamped: 0 });
    expect(samples(pool)).toBe(0);
  });

  it('counts a publication without a stamp as unstamped', () => {
    const pool = new ScannedPool();
    pool.feed('{"push":{"channel":"bars:1s:SPY","pub":{"data":{"open":1}}}}');
    expect(pool.snapshot(true)).toMatchObject({ received: 1, unstamped: 1 });
    expect(samples(pool)).toBe(0);
  });
});
