import { describe, expect, it } from 'vitest';
import { describeRedisTarget, parseRedisTarget, redactRedisUrl, RedisTargetError } from './redis-target.js';

describe('parseRedisTarget', () => {
  it('reads one server with credentials, database and TLS, percent-decoding them', () => {
    expect(parseRedisTarget('rediss://app:p%40ss@redis.example:6380/4')).toEqual({
      topology: 'single', addresses: [{ host: 'redis.example', port: 6380 }], tls: true, username: 'app', password: 'p@ss', db: 4,
    });
    expect(parseRedisTarget('redis://[::1]')).toEqual({ topology: 'single', addresses: [{ host: '::1', port: 6379 }], tls: false, db: 0 });
  });

  it('reads seed and Sentinel lists; credentials given once hold for all, Sentinels default to 26379', () => {
    const cluster = parseRedisTarget('redis://:pw@a:7000,redis://b:7001', 'cluster');
    expect(cluster).toMatchObject({ topology: 'cluster', addresses: [{ host: 'a', port: 7000 }, { host: 'b', port: 7001 }], password: 'pw', db: 0 });
    const sentinel = parseRedisTarget('redis://s1,redis://s2:26380/1', 'sentinel', 'mymaster');
    expect(sentinel).toMatchObject({ addresses: [{ host: 's1', port: 26379 }, { host: 's2', port: 26380 }], db: 1, sentinelMaster: 'mymaster' });
  });

  it('refuses what it cannot serve, naming the field at fault', () => {
    const field = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        expect(err).toBeInstanceOf(RedisTargetError);
        return (err as RedisTargetError).field;
      }
      return 'accepted';
    };
    expect(field(() => parseRedisTarget('redis://a,redis://b'))).toBe('url');
    expect(field(() => parseRedisTarget('redis://a', 'sentinel'))).toBe('sentinelMaster');
    expect(field(() => parseRedisTarget('redis://a', 'cluster', 'm'))).toBe('sentinelMaster');
    expect(field(() => parseRedisTarget('redis://', 'single'))).toBe('url');
    expect(field(() => parseRedisTarget('redis://a:1/0', 'cluster'))).toBe('accepted');
    expect(field(() => parseRedisTarget('redis://a', 'single', undefined, { password: 'p' }))).toBe('sentinelPassword');
    expect(field(() => parseRedisTarget('redis://a', 'cluster', undefined, { username: 'u' }))).toBe('sentinelUsername');
    expect(parseRedisTarget('redis://:data@s1', 'sentinel', 'm', { username: 'watch', password: 'sent' })).toMatchObject({ password: 'data', sentinelUsername: 'watch', sentinelPassword: 'sent' });
  });
});

describe('describeRedisTarget', () => {
  it('shows every topology without its password', () => {
    expect(describeRedisTarget(parseRedisTarget('redis://:pw@h:1/2'))).toBe('redis://:***@h:1/2 (single)');
    expect(describeRedisTarget(parseRedisTarget('rediss://u:pw@a:1,rediss://b:2', 'cluster'))).toBe('rediss://u:***@a:1,rediss://u:***@b:2 (cluster seeds)');
    expect(describeRedisTarget(parseRedisTarget('redis://:pw@s1,redis://[::1]:5', 'sentinel', 'm'))).toBe('master m (password ***) via Sentinels redis://s1:26379,redis://[::1]:5');
    expect(describeRedisTarget(parseRedisTarget('redis://s1', 'sentinel', 'm', { username: 'watch', password: 'sent' }))).toBe('master m via Sentinels redis://s1:26379 (user watch, password ***)');
  });

  it('redacts a URL list as given, a password holding @ included', () => {
    expect(redactRedisUrl('redis://:p@ss@a:1, redis://u:x@b/0,redis://c')).toBe('redis://:***@a:1,redis://u:***@b/0,redis://c');
  });
});
