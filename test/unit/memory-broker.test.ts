import { describe, expect, it } from 'vitest';
import { MemoryBroker, NamespaceRegistry, type FanoutSink } from '../../src/broker/index.js';
import { loadConfig, type Publication } from '../../src/index.js';

// The behaviour every broker shares is in test/contract/broker-contract.ts; this is the memory broker's own.
describe('memory broker history', () => {
  it('a stream published to keeps its epoch past the idle TTL; an idle one is forgotten', async () => {
    const delivered: Publication[] = [];
    const sink: FanoutSink = { publication: (_channel, pub) => delivered.push(pub), join() {}, leave() {} };
    // The LRU entry is refreshed at most every TTL/10 (50 ms here), not on every append.
    const b = new MemoryBroker({ namespaces: new NamespaceRegistry(loadConfig({}).namespaces), fanout: sink, limits: { streamIdleTtlMs: 500, maxBytes: 64 * 1024 * 1024 } });
    const first = await b.publish('public:busy', 0);
    const until = Date.now() + 1_200;
    for (let i = 1; Date.now() < until; i++) {
      await new Promise((r) => setTimeout(r, 20));
      expect((await b.publish('public:busy', i))?.epoch).toBe(first?.epoch);
    }
    await new Promise((r) => setTimeout(r, 1_000));
    const after = await b.publish('public:busy', 'again');
    expect(after?.epoch).not.toBe(first?.epoch);
    expect(after?.offset).toBe(1);
  });
});
