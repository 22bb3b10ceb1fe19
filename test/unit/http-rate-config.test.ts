import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/index.js';

describe('HTTP rate limit configuration', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(String(c.httpRateApi)).toBe('1000/1s');
    expect(String(c.httpRateIngest)).toBe('100/1s');
    expect(c.httpRatePublic.points).toBe(0);
    expect(String(c.httpRatePublic)).toBe('off');
    expect(String(c.httpRateOps)).toBe('100/1s');
    expect(c.trustProxy).toBe(false);
    expect(c.redisPrefix).toBe('supernova');
  });

  it('reads N/T in seconds, minutes and hours, and off or 0', () => {
    const c = loadConfig({ SUPERNOVA_HTTP_RATE_API: '600/1m', SUPERNOVA_HTTP_RATE_INGEST: ' 50/S ', SUPERNOVA_HTTP_RATE_PUBLIC: '20/10s', SUPERNOVA_HTTP_RATE_OPS: 'OFF' });
    expect(c.httpRateApi).toMatchObject({ points: 600, durationSec: 60 });
    expect(c.httpRateIngest).toMatchObject({ points: 50, durationSec: 1 });
    expect(c.httpRatePublic).toMatchObject({ points: 20, durationSec: 10 });
    expect(c.httpRateOps.points).toBe(0);
    expect(loadConfig({ SUPERNOVA_HTTP_RATE_OPS: '0' }).httpRateOps.points).toBe(0);
    expect(loadConfig({ SUPERNOVA_HTTP_RATE_OPS: '1000/2h' }).httpRateOps).toMatchObject({ points: 1000, durationSec: 7200 });
    expect(String(loadConfig({ SUPERNOVA_HTTP_RATE_OPS: '5/120s' }).httpRateOps)).toBe('5/2m');
  });

  it('a bad rate names its variable', () => {
    for (const bad of ['100', '100/0s', '0/1s', '-1/1s', '1.5/1s', '100/1d', '100/25h', 'fast', '10000000000/1s']) {
      let err: unknown;
      try {
        loadConfig({ SUPERNOVA_HTTP_RATE_PUBLIC: bad });
      } catch (e) { err = e; }
      expect(err, bad).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toContain(`SUPERNOVA_HTTP_RATE_PUBLIC=${JSON.stringify(bad)}`);
    }
    expect(() => loadConfig({ SUPERNOVA_REDIS_PREFIX: 'has space' })).toThrow(/SUPERNOVA_REDIS_PREFIX/);
    expect(() => loadConfig({ SUPERNOVA_TRUST_PROXY: 'maybe' })).toThrow(/SUPERNOVA_TRUST_PROXY/);
  });
});
