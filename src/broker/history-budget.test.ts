import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.js';
import { MemoryBroker } from './memory-broker.js';
import { NamespaceRegistry } from './channel-name.js';
import type { FanoutSink } from './fanout.js';

const sink: FanoutSink = { publication() {}, join() {}, leave() {} };
const KiB = 1024;

function brokerWith(namespaces: unknown[], maxBytes: number): MemoryBroker {
  return new MemoryBroker({ namespaces: new NamespaceRegistry(loadConfig({}, { namespaces }).namespaces), fanout: sink, limits: { maxBytes } });
}

const payload = (n: number) => 'x'.repeat(n);

describe('history byte budgets', () => {
  it('a channel over its historyMaxBytes drops its oldest publications first, and recovery from them fails', async () => {
    const b = brokerWith([{ name: 'chat', historySize: 1000, historyMaxBytes: 100 * KiB }], 64 * 1024 * KiB);
    const first = await b.publish('chat:a', payload(10 * KiB));
    for (let i = 0; i < 49; i++) await b.publish('chat:a', payload(10 * KiB));
    const h = await b.history('chat:a', { limit: -1 });
    expect(h.offset).toBe(50);
    // 10 KiB each under a 100 KiB budget: the newest nine or so remain, in order.
    expect(h.publications.length).toBeGreaterThanOrEqual(8);
    expect(h.publications.length).toBeLessThanOrEqual(10);
    expect(h.publications.at(-1)?.offset).toBe(50);
    await expect(b.history('chat:a', { since: { offset: first?.offset ?? 0, epoch: first?.epoch ?? '' } })).rejects.toMatchObject({ code: 112 });
    const stats = b.historyStats();
    expect(stats.namespaces.chat?.bytes).toBeLessThanOrEqual(100 * KiB + 32 * KiB);
    expect(stats.evicted.channel).toBeGreaterThanOrEqual(40);
  });

  it('fresh channels flooding a namespace stay within its budget and never evict another namespace', async () => {
    const b = brokerWith([
      { name: 'flood', historySize: 100, historyMaxBytes: 64 * KiB, historyNamespaceMaxBytes: 512 * KiB },
      { name: 'keep', historySize: 100 },
    ], 64 * 1024 * KiB);
    await b.publish('keep:x', payload(1 * KiB));
    for (let i = 0; i < 2_000; i++) await b.publish(`flood:c${i}`, payload(4 * KiB));
    const stats = b.historyStats();
    expect(stats.namespaces.flood?.bytes).toBeLessThanOrEqual(512 * KiB);
    expect(stats.namespaces.flood?.streams).toBeLessThan(2_000);
    expect(stats.evicted.namespace).toBeGreaterThan(1_000);
    expect((await b.history('keep:x', { limit: -1 })).publications).toHaveLength(1);
    // The newest flood channel still has its publication.
    expect((await b.history('flood:c1999', { limit: -1 })).publications).toHaveLength(1);
  });

  it('the total budget takes from the namespace holding the most', async () => {
    const b = brokerWith([
      { name: 'big', historySize: 1000, historyMaxBytes: 16 * 1024 * KiB },
      { name: 'small', historySize: 1000, historyMaxBytes: 16 * 1024 * KiB },
    ], 2 * 1024 * KiB);
    for (let i = 0; i < 10; i++) await b.publish('small:s', payload(10 * KiB));
    for (let i = 0; i < 400; i++) await b.publish('big:b', payload(10 * KiB));
    const stats = b.historyStats();
    expect(stats.bytes).toBeLessThanOrEqual(2 * 1024 * KiB);
    expect(stats.evicted.total).toBeGreaterThan(200);
    expect((await b.history('small:s', { limit: -1 })).publications).toHaveLength(10);
  });

  it('shedHistory gives back memory down to a fraction of what it holds, oldest first', async () => {
    const b = brokerWith([{ name: 'n', historySize: 1000, historyMaxBytes: 16 * 1024 * KiB }], 64 * 1024 * KiB);
    for (let i = 0; i < 100; i++) await b.publish('n:a', payload(10 * KiB));
    const before = b.historyStats().bytes;
    const freed = b.shedHistory(0.5);
    expect(freed).toBeGreaterThanOrEqual(before / 2 - 11 * KiB);
    expect(b.historyStats().bytes).toBeLessThanOrEqual(before / 2);
    const h = await b.history('n:a', { limit: -1 });
    expect(h.publications.at(-1)?.offset).toBe(100);
    expect(b.historyStats().evicted.memory).toBeGreaterThan(40);
  });

  it('accounting returns to zero when every stream is removed', async () => {
    const b = brokerWith([{ name: 'n', historySize: 10 }], 64 * 1024 * KiB);
    for (let i = 0; i < 50; i++) await b.publish(`n:c${i % 5}`, { i, text: payload(100) });
    await b.history('n:never', { limit: 0 });
    for (let i = 0; i < 5; i++) await b.removeHistory(`n:c${i}`);
    await b.removeHistory('n:never');
    expect(b.historyStats().bytes).toBe(0);
  });
});
