import { describe, expect, it } from 'vitest';
import { parseComprehensive, parseQuick } from './options.js';

describe('loadtest options', () => {
  it('quick defaults finish in about a minute with 50 SDK users', () => {
    expect(parseQuick([])).toMatchObject({ users: 50, durationMs: 60_000, rampUpMs: 10_000, ratePerUser: 1, client: 'sdk', rpcRatio: 0.2, usersPerChannel: 10, url: undefined, apiKey: undefined, pin: true });
  });

  it('reads the issue example and a raw-client run', () => {
    expect(parseQuick(['--url', 'ws://host:8081', '--users', '50', '--duration', '120'])).toMatchObject({ url: 'ws://host:8081', users: 50, durationMs: 120_000, rampUpMs: 10_000 });
    expect(parseQuick(['--client', 'raw', '--api-key', 'k', '--ramp-up', '0', '--no-pin'])).toMatchObject({ client: 'raw', apiKey: 'k', rampUpMs: 0, pin: false });
    expect(parseQuick(['--help'])).toBe('help');
  });

  it('refuses bad values with a message naming the option', () => {
    expect(() => parseQuick(['--users', '0'])).toThrow(/--users must be a number in \[1, 200000\], not 0/);
    expect(() => parseQuick(['--client', 'browser'])).toThrow(/--client must be sdk or raw/);
    expect(() => parseQuick(['--rpc-ratio', '2'])).toThrow(/--rpc-ratio/);
    expect(() => parseQuick(['--bogus'])).toThrow(/bogus/);
  });

  it('comprehensive scales every duration and user count, with a floor of 2 s per phase', () => {
    const full = parseComprehensive([]);
    expect(full).toMatchObject({ users: 100, loadMs: 300_000, stressStepMs: 20_000, enduranceMs: 300_000, leakMs: 180_000, phases: ['load', 'stress', 'endurance', 'leak'] });
    expect(parseComprehensive(['--scale', '0.1', '--phases', 'stress,leak'])).toMatchObject({ users: 10, loadMs: 30_000, stressStepMs: 2000, leakMs: 18_000, phases: ['stress', 'leak'] });
    expect(() => parseComprehensive(['--phases', 'soak'])).toThrow(/unknown phase soak/);
  });
});
