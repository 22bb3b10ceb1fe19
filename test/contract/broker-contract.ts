import { afterEach, describe, expect, it } from 'vitest';
import type { Broker, FanoutSink } from '../../src/broker/index.js';
import { loadConfig, type NamespaceOptions } from '../../src/index.js';
import type { ClientInfo, Publication, StreamPosition } from '../../src/protocol/index.js';

/** What a broker implementation under contract needs: a broker on these namespaces delivering to this sink. */
export type BrokerFactory = (o: { namespaces: NamespaceOptions[]; fanout: FanoutSink }) => Promise<Broker>;

export interface Delivered {
  pubs: { channel: string; pub: Publication }[];
  joins: { channel: string; info: ClientInfo }[];
  leaves: { channel: string; info: ClientInfo }[];
}

function recordingSink(): { sink: FanoutSink; got: Delivered } {
  const got: Delivered = { pubs: [], joins: [], leaves: [] };
  return {
    got,
    sink: {
      publication: (channel, pub) => got.pubs.push({ channel, pub }),
      join: (channel, info) => got.joins.push({ channel, info }),
      leave: (channel, info) => got.leaves.push({ channel, info }),
    },
  };
}

async function until(check: () => boolean, ms = 2_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting for delivery');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const ns = (json: string) => loadConfig({ SUPERNOVA_NAMESPACES: json }).namespaces;

/**
 * The Broker contract: every implementation (memory, Redis on each topology) passes the same
 * suite, so the connection actors and the server API can rely on one behaviour.
 */
export function brokerContract(name: string, make: BrokerFactory): void {
  describe(`Broker contract: ${name}`, () => {
    const open: Broker[] = [];
    const broker = async (namespaces = loadConfig({}).namespaces) => {
      const { sink, got } = recordingSink();
      const b = await make({ namespaces, fanout: sink });
      open.push(b);
      await b.start();
      return { b, got };
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((b) => b.stop()));
    });

    it('assigns increasing offsets in one epoch and delivers each publication once, in order, to a subscribed node', async () => {
      const { b, got } = await broker();
      await b.subscribe('public:a');
      const positions: (StreamPosition | undefined)[] = [];
      for (let i = 1; i <= 20; i++) positions.push(await b.publish('public:a', { i }));
      expect(positions.map((p) => p?.offset)).toEqual(Array.from({ length: 20 }, (_, i) => (positions[0]?.offset ?? 0) + i));
      expect(new Set(positions.map((p) => p?.epoch)).size).toBe(1);
      await until(() => got.pubs.length >= 20);
      expect(got.pubs.map((d) => d.pub.data)).toEqual(Array.from({ length: 20 }, (_, i) => ({ i: i + 1 })));
      expect(got.pubs.map((d) => d.pub.offset)).toEqual(positions.map((p) => p?.offset));
    });

    it('once sync resolves, every publication a history read returned has been delivered', async () => {
      const { b, got } = await broker();
      await b.subscribe('public:sync');
      await Promise.all(Array.from({ length: 50 }, (_, i) => b.publish('public:sync', { i })));
      const h = await b.history('public:sync', { limit: -1 });
      expect(h.publications).toHaveLength(50);
      await b.sync('public:sync');
      expect(got.pubs.map((d) => d.pub.offset)).toEqual(h.publications.map((p) => p.offset));
      // A channel this node does not receive has nothing on its way.
      await b.sync('public:elsewhere');
    });

    it('publications published concurrently keep one order in history and delivery', async () => {
      const { b, got } = await broker();
      await b.subscribe('public:burst');
      const positions = await Promise.all(Array.from({ length: 50 }, (_, i) => b.publish('public:burst', i)));
      await until(() => got.pubs.length >= 50);
      const h = await b.history('public:burst', { limit: -1 });
      expect(h.publications.map((p) => p.offset)).toEqual([...positions.map((p) => p?.offset)].sort((x, y) => (x ?? 0) - (y ?? 0)));
      expect(got.pubs.map((d) => d.pub.offset)).toEqual(h.publications.map((p) => p.offset));
    });

    it('keeps info and tags with a publication, live and in history', async () => {
      const { b, got } = await broker();
      await b.subscribe('public:meta');
      const info = { client: 'c1', user: 'u1', conn_info: { name: 'x' } };
      await b.publish('public:meta', { text: 'hi' }, { info, tags: { k: 'v' } });
      await until(() => got.pubs.length === 1);
      expect(got.pubs[0]?.pub).toMatchObject({ data: { text: 'hi' }, info, tags: { k: 'v' } });
      expect((await b.history('public:meta', { limit: -1 })).publications[0]).toMatchObject({ data: { text: 'hi' }, info, tags: { k: 'v' } });
    });

    it('keeps at most historySize publications and refuses to recover past them', async () => {
      const { b } = await broker(ns('[{"name":"small","historySize":3}]'));
      for (let i = 1; i <= 5; i++) await b.publish('small:x', i);
      const h = await b.history('small:x', { limit: -1 });
      expect(h.publications.map((p) => p.data)).toEqual([3, 4, 5]);
      await expect(b.history('small:x', { since: { offset: 2, epoch: h.epoch } })).resolves.toMatchObject({ publications: [{ data: 3 }, { data: 4 }, { data: 5 }] });
      await expect(b.history('small:x', { since: { offset: 1, epoch: h.epoch } })).rejects.toMatchObject({ code: 112 });
      await expect(b.history('small:x', { since: { offset: 5, epoch: h.epoch } })).resolves.toMatchObject({ publications: [] });
      await expect(b.history('small:x', { since: { offset: 6, epoch: h.epoch } })).rejects.toMatchObject({ code: 112 });
      await expect(b.history('small:x', { since: { offset: 4, epoch: 'other' } })).rejects.toMatchObject({ code: 112 });
    });

    it('reads the newest first with reverse, and at most limit', async () => {
      const { b } = await broker();
      for (let i = 1; i <= 5; i++) await b.publish('public:r', i);
      expect((await b.history('public:r', { limit: 2, reverse: true })).publications.map((p) => p.data)).toEqual([5, 4]);
      expect((await b.history('public:r', { limit: 2 })).publications.map((p) => p.data)).toEqual([1, 2]);
      const pos = await b.history('public:r', { limit: 0 });
      expect(pos.publications).toEqual([]);
      expect(pos.offset).toBe(5);
    });

    it('the position read before the first publication stays recoverable', async () => {
      const { b } = await broker();
      const before = await b.history('public:new', { limit: 0 });
      expect(before.offset).toBe(0);
      await b.publish('public:new', 'first');
      const after = await b.history('public:new', { since: before });
      expect(after.publications.map((p) => p.data)).toEqual(['first']);
      expect(after.epoch).toBe(before.epoch);
    });

    it('a position in a stream it never had is unrecoverable', async () => {
      const { b } = await broker();
      await expect(b.history('public:never', { since: { offset: 3, epoch: 'abcd' } })).rejects.toMatchObject({ code: 112 });
    });

    it('drops publications past their TTL, and a removed stream gets a new epoch', async () => {
      const { b } = await broker(ns('[{"name":"short","historySize":10,"historyTtlMs":30}]'));
      await b.publish('short:x', 1);
      await new Promise((r) => setTimeout(r, 60));
      const h = await b.history('short:x', { limit: -1 });
      expect(h.publications).toEqual([]);
      await expect(b.history('short:x', { since: { offset: 0, epoch: h.epoch } })).rejects.toMatchObject({ code: 112 });
      await b.removeHistory('short:x');
      await b.publish('short:x', 2);
      const h2 = await b.history('short:x', { limit: -1 });
      expect(h2.epoch).not.toBe(h.epoch);
      expect(h2.offset).toBe(1);
    });

    it('publishes without a position where the namespace keeps no history', async () => {
      const { b, got } = await broker(ns('[{"name":"live","historySize":0}]'));
      await b.subscribe('live:x');
      expect(await b.publish('live:x', 'now')).toBeUndefined();
      await until(() => got.pubs.length === 1);
      expect(got.pubs[0]?.pub).toEqual({ data: 'now' });
    });

    it('unknown namespaces are error 102', async () => {
      const { b } = await broker();
      await expect(b.publish('nope:x', 1)).rejects.toMatchObject({ code: 102 });
    });

    it('keeps presence per channel and counts users once', async () => {
      const { b } = await broker();
      await b.addPresence('public:room', { client: 'c1', user: 'alice' });
      await b.addPresence('public:room', { client: 'c2', user: 'alice' });
      await b.addPresence('public:room', { client: 'c3', user: 'bob', conn_info: { n: 1 } });
      expect(await b.presenceStats('public:room')).toEqual({ num_clients: 3, num_users: 2 });
      await b.removePresence('public:room', 'c2');
      expect(await b.presence('public:room')).toEqual({ c1: { client: 'c1', user: 'alice' }, c3: { client: 'c3', user: 'bob', conn_info: { n: 1 } } });
      expect(await b.presenceStats('public:other')).toEqual({ num_clients: 0, num_users: 0 });
    });

    it('delivers join and leave to a subscribed node, in order with publications', async () => {
      const { b, got } = await broker();
      await b.subscribe('public:jl');
      await b.publishJoin('public:jl', { client: 'c1', user: 'u' });
      await b.publish('public:jl', 'between');
      await b.publishLeave('public:jl', { client: 'c1', user: 'u' });
      await until(() => got.leaves.length === 1);
      expect(got.joins).toEqual([{ channel: 'public:jl', info: { client: 'c1', user: 'u' } }]);
      expect(got.pubs.map((p) => p.pub.data)).toEqual(['between']);
    });
  });
}
