import { describe, expect, it } from 'vitest';
import { HealthComponentError, HealthRegistry } from './health-registry.js';
import { healthStatus } from './lifecycle.js';

describe('HealthRegistry', () => {
  it('runs each probe at every check: a component that flips is listed up, then down and named, then up again', () => {
    const health = new HealthRegistry();
    let redisUp = true;
    health.register('redis', () => (redisUp ? { up: true, detail: '127.0.0.1:6379' } : { up: false, detail: 'connection refused' }));
    health.register('database', () => ({ up: true }));
    expect(health.check()).toEqual({ components: { database: { up: true }, redis: { up: true, detail: '127.0.0.1:6379' } }, down: [] });
    redisUp = false;
    expect(health.check()).toEqual({ components: { database: { up: true }, redis: { up: false, detail: 'connection refused' } }, down: ['redis'] });
    expect(healthStatus('running', health.check().down)).toBe('degraded');
    redisUp = true;
    expect(health.check().down).toEqual([]);
    expect(healthStatus('running', health.check().down)).toBe('ok');
  });

  it('a probe that throws is down with its message, and reported once per check', () => {
    const reported: string[] = [];
    const health = new HealthRegistry({ onError: (where) => reported.push(where) });
    health.register('database', () => { throw new Error('pool closed'); });
    expect(health.check()).toEqual({ components: { database: { up: false, detail: 'probe failed: pool closed' } }, down: ['database'] });
    expect(reported).toEqual(['health:database']);
  });

  it('refuses a taken or unusable name with a stable code; unregistering frees the name', () => {
    const health = new HealthRegistry();
    const unregister = health.register('redis', () => ({ up: true }));
    expect(() => health.register('redis', () => ({ up: false }))).toThrow(expect.objectContaining({ code: 'COMPONENT_REGISTERED' }));
    for (const bad of ['', 'Redis', 'redis cluster', '1redis', 'r'.repeat(64)]) {
      expect(() => health.register(bad, () => ({ up: true })), bad).toThrow(HealthComponentError);
    }
    unregister();
    expect(health.check().components).toEqual({});
    const again = health.register('redis', () => ({ up: false }));
    // The first registration's unregister does not remove its successor.
    unregister();
    expect(health.check().down).toEqual(['redis']);
    again();
    expect(health.check()).toEqual({ components: {}, down: [] });
  });

  it('the status follows the lifecycle first: only a running engine is ok or degraded', () => {
    expect(healthStatus('new', [])).toBe('starting');
    expect(healthStatus('draining', ['redis'])).toBe('draining');
    expect(healthStatus('stopping', [])).toBe('stopping');
    expect(healthStatus('stopped', [])).toBe('stopped');
  });
});
