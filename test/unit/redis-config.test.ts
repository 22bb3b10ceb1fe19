import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/index.js';
import { configProblem } from '../support/config-problem.js';

describe('Redis topology configuration', () => {
  it('defaults to one server, and reads sentinel and cluster lists', () => {
    expect(loadConfig({})).toMatchObject({ redisUrl: undefined, redisTopology: 'single', redisSentinelMaster: undefined });
    expect(loadConfig({ SUPERNOVA_REDIS_URL: 'rediss://:pw@redis.example:6380/3' })).toMatchObject({ redisTopology: 'single', redisUrl: 'rediss://:pw@redis.example:6380/3' });
    const cluster = loadConfig({ SUPERNOVA_REDIS_TOPOLOGY: 'cluster', SUPERNOVA_REDIS_URL: 'redis://a:7000, redis://b:7001,redis://c:7002' });
    expect(cluster).toMatchObject({ redisTopology: 'cluster', redisUrl: 'redis://a:7000, redis://b:7001,redis://c:7002' });
    const sentinel = loadConfig({ SUPERNOVA_REDIS_TOPOLOGY: 'sentinel', SUPERNOVA_REDIS_URL: 'redis://s1:26379,redis://s2', SUPERNOVA_REDIS_SENTINEL_MASTER: 'mymaster' });
    expect(sentinel).toMatchObject({ redisTopology: 'sentinel', redisSentinelMaster: 'mymaster' });
  });

  it('a bad topology or URL names its variable, and never shows the password', () => {
    expect(configProblem({ SUPERNOVA_REDIS_TOPOLOGY: 'replicated' })).toMatch(/SUPERNOVA_REDIS_TOPOLOGY="replicated": .*single.*sentinel.*cluster/);
    expect(configProblem({ SUPERNOVA_REDIS_URL: 'redis://a:1,http://b:2' })).toMatch(/SUPERNOVA_REDIS_URL=.*comma-separated list/);
    const list = configProblem({ SUPERNOVA_REDIS_URL: 'redis://:secret@a:1,redis://:secret@b:2' });
    expect(list).toMatch(/SUPERNOVA_REDIS_URL="redis:\/\/:\*\*\*@a:1,redis:\/\/:\*\*\*@b:2": is a list of URLs, which needs SUPERNOVA_REDIS_TOPOLOGY=cluster .* or sentinel/);
    expect(list).not.toContain('secret');
    expect(configProblem({ SUPERNOVA_REDIS_URL: 'http://:secret@a:1' })).not.toContain('secret');
    expect(configProblem({ SUPERNOVA_REDIS_URL: 'redis://a:1/x' })).toMatch(/SUPERNOVA_REDIS_URL=.*the path is the database number/);
    expect(configProblem({ SUPERNOVA_REDIS_URL: 'redis://a:1?family=6' })).toMatch(/SUPERNOVA_REDIS_URL=.*query parameters/);
    expect(configProblem({ SUPERNOVA_REDIS_TOPOLOGY: 'cluster', SUPERNOVA_REDIS_URL: 'redis://a:1/2' })).toMatch(/SUPERNOVA_REDIS_URL=.*database 2, but a Redis Cluster has only database 0/);
    expect(configProblem({ SUPERNOVA_REDIS_TOPOLOGY: 'cluster', SUPERNOVA_REDIS_URL: 'redis://a:1,rediss://b:2' })).toMatch(/SUPERNOVA_REDIS_URL=.*mixes redis:\/\/ and rediss:\/\//);
    expect(configProblem({ SUPERNOVA_REDIS_TOPOLOGY: 'cluster', SUPERNOVA_REDIS_URL: 'redis://:x@a:1,redis://:y@b:2' })).toMatch(/SUPERNOVA_REDIS_URL=.*differ in password/);
    expect(configProblem({ SUPERNOVA_REDIS_TOPOLOGY: 'cluster', SUPERNOVA_REDIS_URL: 'redis://a:1,,redis://b:2' })).toMatch(/SUPERNOVA_REDIS_URL=.*comma-separated list/);
  });

  it('sentinel needs the master name, and a master name needs sentinel', () => {
    const missing = configProblem({ SUPERNOVA_REDIS_TOPOLOGY: 'sentinel', SUPERNOVA_REDIS_URL: 'redis://s1:26379' });
    expect(missing).toMatch(/SUPERNOVA_REDIS_SENTINEL_MASTER: required when SUPERNOVA_REDIS_TOPOLOGY=sentinel/);
    // Even before the URL is set (it may come from a secret mounted later), the pair is checked.
    expect(configProblem({ SUPERNOVA_REDIS_TOPOLOGY: 'sentinel' })).toMatch(/SUPERNOVA_REDIS_SENTINEL_MASTER: required/);
    expect(configProblem({ SUPERNOVA_REDIS_URL: 'redis://a:1', SUPERNOVA_REDIS_SENTINEL_MASTER: 'm' })).toMatch(/SUPERNOVA_REDIS_SENTINEL_MASTER="m": set, but SUPERNOVA_REDIS_TOPOLOGY is single/);
    expect(configProblem({ SUPERNOVA_REDIS_TOPOLOGY: 'sentinel', SUPERNOVA_REDIS_SENTINEL_MASTER: 'my master' })).toMatch(/SUPERNOVA_REDIS_SENTINEL_MASTER=.*without spaces/);
  });

  it('Sentinel credentials are read for sentinel alone, and never shown', () => {
    const env = { SUPERNOVA_REDIS_TOPOLOGY: 'sentinel', SUPERNOVA_REDIS_URL: 'redis://s1', SUPERNOVA_REDIS_SENTINEL_MASTER: 'm', SUPERNOVA_REDIS_SENTINEL_USERNAME: 'watch', SUPERNOVA_REDIS_SENTINEL_PASSWORD: 'hunter2' };
    expect(loadConfig(env)).toMatchObject({ redisSentinelUsername: 'watch', redisSentinelPassword: 'hunter2' });
    const single = configProblem({ SUPERNOVA_REDIS_URL: 'redis://a:1', SUPERNOVA_REDIS_SENTINEL_PASSWORD: 'hunter2' });
    expect(single).toMatch(/SUPERNOVA_REDIS_SENTINEL_PASSWORD: set, but SUPERNOVA_REDIS_TOPOLOGY is single/);
    expect(single).not.toContain('hunter2');
    expect(configProblem({ SUPERNOVA_REDIS_TOPOLOGY: 'cluster', SUPERNOVA_REDIS_URL: 'redis://a:1', SUPERNOVA_REDIS_SENTINEL_USERNAME: 'watch' })).toMatch(/SUPERNOVA_REDIS_SENTINEL_USERNAME="watch": set, but SUPERNOVA_REDIS_TOPOLOGY is cluster/);
  });

  it('a key prefix has no { or }: a channel\'s keys hash on {CHANNEL} alone', () => {
    for (const bad of ['sn{1}', 'a}b', '{x', 'has space', '', 'x'.repeat(65)]) {
      expect(configProblem({ SUPERNOVA_REDIS_PREFIX: bad || ' x ' })).toMatch(/SUPERNOVA_REDIS_PREFIX=/);
    }
    expect(configProblem({ SUPERNOVA_REDIS_PREFIX: 'sn{1}' })).toMatch(/no \{ \}/);
    expect(loadConfig({ SUPERNOVA_REDIS_PREFIX: 'team-a:prod.v2' }).redisPrefix).toBe('team-a:prod.v2');
  });
});
