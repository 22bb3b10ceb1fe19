import { describe, expect, it } from 'vitest';
import { DEFAULT_REDIS_URL, parseClusterOptions, spreadLayout } from './options.js';

describe('cluster benchmark options', () => {
  it('defaults to the issue targets: 5,000 subscribers for the pair, 50,000 over 3 nodes at 10/s for 30 s', () => {
    expect(parseClusterOptions([], {})).toMatchObject({
      parts: ['pair', 'spread'], redisUrl: DEFAULT_REDIS_URL, pairSubscribers: 5000, spreadSubscribers: 50_000, spreadNodes: 3, spreadRate: 10, spreadMs: 30_000, pin: true, cpuProf: false,
    });
    expect(parseClusterOptions(['--quick'], {})).toMatchObject({ pairSubscribers: 1000, spreadSubscribers: 3000, spreadMs: 5000 });
    expect(parseClusterOptions(['--only', 'spread', '--nodes', '4', '--no-pin', '--cpu-prof'], {})).toMatchObject({ parts: ['spread'], spreadNodes: 4, pin: false, cpuProf: true });
    expect(parseClusterOptions(['-h'], {})).toBe('help');
  });

  it('takes Redis from --redis, else SUPERNOVA_REDIS_URL, and refuses what is not a Redis URL', () => {
    expect(parseClusterOptions([], { SUPERNOVA_REDIS_URL: 'redis://10.0.0.5:6380' })).toMatchObject({ redisUrl: 'redis://10.0.0.5:6380' });
    expect(parseClusterOptions(['--redis', 'redis://127.0.0.1:7000'], { SUPERNOVA_REDIS_URL: 'redis://10.0.0.5:6380' })).toMatchObject({ redisUrl: 'redis://127.0.0.1:7000' });
    expect(() => parseClusterOptions(['--redis', 'http://x'], {})).toThrow(/--redis must be a redis:\/\/ or rediss:\/\/ URL/);
    expect(() => parseClusterOptions(['--only', 'both'], {})).toThrow(/--only must be pair or spread/);
    expect(() => parseClusterOptions(['--subscribers', '30000'], {})).toThrow(/--subscribers must be a number in \[1, 19000\]/);
  });

  it('splits the spread evenly and refuses more per node than one process may hold', () => {
    expect(spreadLayout({ spreadSubscribers: 50_000, spreadNodes: 3 }, 18_000)).toEqual([16_667, 16_667, 16_666]);
    expect(() => spreadLayout({ spreadSubscribers: 50_000, spreadNodes: 2 }, 18_000)).toThrow(/leaves 25000 connections to a node .* allows 18000: use more nodes/);
  });
});
