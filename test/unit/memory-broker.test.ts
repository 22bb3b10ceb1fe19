import { describe, expect, it } from 'vitest';
import { MemoryBroker, NamespaceRegistry, type FanoutSink } from '../../src/broker/index.js';
import { loadConfig, type Publication } from '../../src/index.js';

function broker(namespaces = loadConfig({}).namespaces) {
  const delivered: { channel: string; pub: Publication }[] = [];
  const sink: FanoutSink = { publication: (channel, pub) => delivered.push({ channel, pub }), join() {}, leave() {} };
  return { b: new MemoryBroker({ namespaces: new NamespaceRegistry(namespaces), fanout: sink, limits: { maxBytes: 64 * 1024 * 1024 } }), delivered };
}

describe('memory broker history', () => {
  it('assigns increasing offsets in one epoch and fans out each publication once', async () => {
    const { b, delivered } = broker();
    const p1 = await b.publish('public:a', 1);
    const p2 = await b.publish('public:a', 2);
    expect(p2?.offset).toBe((p1?.offset ?? 0) + 1);
    expect(p2?.epoch).toBe(p1?.epoch);
    expect(delivered.map((d) => d.pub.offset)).toEqual([1, 2]);
  });

  it('keeps at most historySize publications and refuses to recover past them', async () => {
    const ns = loadConfig({ SUPERNOVA_NAMESPACES: '[{"name":"small","historySize":3}]' }).namespaces;
    const { b } = broker(ns);
    for (let i = 1; i <= 5; i++) await b.publish('small:x', i);
    const h = await b.history('small:x', { limit: -1 });
    expect(h.publications.map((p) => p.data)).toEqual([3, 4, 5]);
    await expect(b.history('small:x', { since: { offset: 2, epoch: h.epoch } })).resolves.toMatchObject({ publications: [{ data: 3 }, { data: 4 }, { data: 5 }] });
    await expect(b.history('small:x', { since: { offset: 1, epoch: h.epoch } })).rejects.toMatchObject({ code: 112 });
    await expect(b.history('small:x', { since: { offset: 5, epoch: h.epoch } })).resolves.toMatchObject({ publications: [] });
    await expect(b.history('small:x', { since: { offset: 6, epoch: h.epoch } })).rejects.toMatchObject({ code: 112 });
  });

  it('the position read before the first publication stays recoverable', async () => {
    const { b } = broker();
    const before = await b.history('public:new', { limit: 0 });
    await b.publish('public:new', 'first');
    const after = await b.history('public:new', { since: before });
    expect(after.publications.map((p) => p.data)).toEqual(['first']);
  });

  it('drops publications past their TTL, and a removed stream gets a new epoch', async () => {
    const ns = loadConfig({ SUPERNOVA_NAMESPACES: '[{"name":"short","historySize":10,"historyTtlMs":30}]' }).namespaces;
    const { b } = broker(ns);
    await b.publish('short:x', 1);
    await new Promise((r) => setTimeout(r, 60));
    const h = await b.history('short:x', { limit: -1 });
    expect(h.publications).toEqual([]);
    await b.removeHistory('short:x');
    await b.publish('short:x', 2);
    const h2 = await b.history('short:x', { limit: -1 });
    expect(h2.epoch).not.toBe(h.epoch);
    expect(h2.offset).toBe(1);
  });

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

  it('unknown namespaces are error 102', async () => {
    const { b } = broker();
    await expect(b.publish('nope:x', 1)).rejects.toMatchObject({ code: 102 });
  });
});
