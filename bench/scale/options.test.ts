import { describe, expect, it } from 'vitest';
import { parseScaleOptions, scaleLayout } from './options.js';

describe('scale benchmark options', () => {
  it('defaults to the issue target: 50,000 subscribers, both servers, a 30 s hold', () => {
    expect(parseScaleOptions([])).toMatchObject({ subscribers: 50_000, processes: undefined, holdMs: 30_000, rate: 2, publishMs: 10_000, servers: ['supernova', 'raw'], pin: true, quick: false });
    expect(parseScaleOptions(['--quick'])).toMatchObject({ subscribers: 3000, holdMs: 3000, publishMs: 3000 });
    expect(parseScaleOptions(['--server', 'raw', '--processes', '4', '--no-pin'])).toMatchObject({ servers: ['raw'], processes: 4, pin: false });
    expect(parseScaleOptions(['-h'])).toBe('help');
  });

  it('refuses bad values naming the option', () => {
    expect(() => parseScaleOptions(['--server', 'ws'])).toThrow(/--server must be supernova, raw or both, not ws/);
    expect(() => parseScaleOptions(['--subscribers', '0'])).toThrow(/--subscribers must be a number/);
    expect(() => parseScaleOptions(['--bogus'])).toThrow(/bogus/);
  });

  it('splits 50,000 connections over enough processes for a 20,000 open-file limit', () => {
    // 19,000 sockets per process (1,000 spare), 17,100 planned per server for the uneven spread.
    expect(scaleLayout({ subscribers: 50_000, processes: undefined, workers: undefined }, 19_000)).toEqual({ processes: 3, workers: 3 });
    expect(scaleLayout({ subscribers: 1000, processes: undefined, workers: undefined }, 19_000)).toEqual({ processes: 2, workers: 1 });
    expect(() => scaleLayout({ subscribers: 50_000, processes: 2, workers: undefined }, 19_000)).toThrow(/--processes 2 leaves about 25000 connections/);
    expect(() => scaleLayout({ subscribers: 50_000, processes: 3, workers: 2 }, 19_000)).toThrow(/--workers 2/);
  });
});
