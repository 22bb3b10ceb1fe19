import { describe, expect, it } from 'vitest';
import { parseOptions, SESSIONS_PER_READER } from './options.js';

describe('bench:streams options', () => {
  it('defaults to the documented 5,000-session run, readers derived from the sessions', () => {
    expect(parseOptions([])).toEqual({ sessions: 5000, rate: 2, seconds: 20, readers: Math.ceil(5000 / SESSIONS_PER_READER), ramp: 1000, transports: ['websocket', 'http_stream', 'sse'], pin: true });
    expect(parseOptions(['--sessions', '10'])).toMatchObject({ sessions: 10, readers: 1 });
    expect(parseOptions(['--sessions', '3', '--readers', '8'])).toMatchObject({ readers: 3 });
    expect(parseOptions(['--transports', 'sse,websocket', '--no-pin'])).toMatchObject({ transports: ['sse', 'websocket'], pin: false });
    expect(parseOptions(['--help'])).toBe('help');
  });

  it('refuses what it cannot run', () => {
    expect(() => parseOptions(['--rate', '0'])).toThrow(/--rate needs a positive number/);
    expect(() => parseOptions(['--transports', 'websocket,uni_sse'])).toThrow(/--transports/);
    expect(() => parseOptions(['--bogus'])).toThrow(/unknown option --bogus/);
  });
});
