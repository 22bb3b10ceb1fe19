import { describe, expect, it } from 'vitest';
import { NamespaceRegistry } from './channel-name.js';
import { loadConfig } from '../config/index.js';

describe('NamespaceRegistry.resolve', () => {
  const registry = () => new NamespaceRegistry(loadConfig({}).namespaces);

  it('remembers a resolved channel and answers the same', () => {
    const r = registry();
    const first = r.resolve('ticks:SPY');
    expect(first.name).toEqual({ channel: 'ticks:SPY', namespace: 'ticks', users: undefined });
    expect(first.options.name).toBe('ticks');
    expect(r.resolve('ticks:SPY')).toBe(first);
  });

  it('never remembers a refusal: bad names and unknown namespaces fail every time', () => {
    const r = registry();
    for (let i = 0; i < 2; i++) {
      expect(() => r.resolve('nope:x')).toThrow(expect.objectContaining({ code: 102 }));
      expect(() => r.resolve('bad channel')).toThrow(expect.objectContaining({ code: 107 }));
    }
  });

  it('stays correct past its bound (the memo is emptied and refills)', () => {
    const r = registry();
    for (let i = 0; i < 25_000; i++) expect(r.resolve(`public:c${i}`).name.channel).toBe(`public:c${i}`);
    expect(r.resolve('user#42').name.users).toEqual(['42']);
  });
});
