import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { FanoutSink, RedisBroker } from '../../src/broker/index.js';
import { loadConfig } from '../../src/index.js';
import { ErrorCode, type Publication } from '../../src/protocol/index.js';
import { REDIS_URL, redisReachable } from '../support/redis.js';
import { cleanPrefix, redisBroker, testPrefix } from '../support/redis-broker.js';
import { until } from '../support/client.js';
import { redisServerInstalled, withRedis } from '../support/redis-server.js';
import { startRedisSentinel } from '../support/redis-sentinel.js';
import { createRedisConnector } from '../../src/redis/index.js';

const reachable = await redisReachable();

/** A broker of its own connections, named so the test can find them in CLIENT LIST. */
function node(prefix: string, o: { historySize?: number; presenceTtlMs?: number; onInsufficientState?: (channel: string) => void } = {}) {
  const uid = randomUUID();
  const pubs: Publication[] = [];
  const sink: FanoutSink = { publication: (_c, pub) => pubs.push(pub), join() {}, leave() {} };
  const namespaces = loadConfig({ SUPERNOVA_NAMESPACES: JSON.stringify([{ name: 'gap', historySize: o.historySize ?? 1000, historyTtlMs: 60_000 }]) }).namespaces;
  const broker = redisBroker({ prefix, namespaces, fanout: sink, uid, ...o });
  // The broker names its connections supernova-broker-UID8 and supernova-broker-UID8-sub.
  return { broker, pubs, name: `supernova-broker-${uid.slice(0, 8)}` };
}

describe.runIf(reachable)('Redis broker on a real Redis', () => {
  const prefix = testPrefix('broker');
  const admin = new Redis(REDIS_URL, { protocol: 2 });
  const started: RedisBroker[] = [];
  const start = async (n: ReturnType<typeof node>) => {
    await n.broker.start();
    started.push(n.broker);
    return n;
  };
  /** Cuts a node's PUB/SUB connection, as a network blip or Redis' output-buffer limit would. */
  const killSubscriber = async (name: string) => {
    const list = (await admin.client('LIST')) as string;
    const line = list.split('\n').find((l) => l.includes(`name=${name}-sub `));
    const id = /id=(\d+)/.exec(line ?? '')?.[1];
    expect(id).toBeDefined();
    await admin.client('KILL', 'ID', id as string);
  };
  afterEach(async () => {
    await Promise.all(started.splice(0).map((b) => b.stop()));
  });
  afterAll(async () => {
    await cleanPrefix(prefix);
    admin.disconnect();
  });

  it('a node whose PUB/SUB connection drops fills the gap from the stream: every offset once, in order', async () => {
    const a = await start(node(prefix));
    const b = await start(node(prefix));
    await a.broker.subscribe('gap:x');
    let n = 0;
    let running = true;
    const publishing = (async () => {
      while (running) {
        await Promise.all([b.broker.publish('gap:x', n++), b.broker.publish('gap:x', n++)]);
        await new Promise((r) => setTimeout(r, 1));
      }
    })();
    await until(() => a.pubs.length >= 50, 'publications before the drop');
    await killSubscriber(a.name);
    await until(() => a.broker.stats().gapsFilled >= 1, 'the gap filled from the stream');
    await new Promise((r) => setTimeout(r, 100));
    running = false;
    await publishing;
    await until(() => a.pubs.length === n, `all ${n} publications`);
    expect(a.pubs.map((p) => p.data)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(a.pubs.map((p) => p.offset)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  });

  it('a gap the stream no longer holds is reported as insufficient state, and delivery goes on', async () => {
    const lost: string[] = [];
    const a = await start(node(prefix, { historySize: 5, onInsufficientState: (channel) => lost.push(channel) }));
    const b = await start(node(prefix, { historySize: 5 }));
    await a.broker.subscribe('gap:small');
    await b.broker.publish('gap:small', 'before');
    await until(() => a.pubs.length === 1, 'the first publication');
    await killSubscriber(a.name);
    // Twenty while node A is away (it reconnects within 50 ms): the stream keeps five.
    await Promise.all(Array.from({ length: 20 }, (_, i) => b.broker.publish('gap:small', i)));
    await until(() => lost.length === 1, 'insufficient state');
    expect(lost).toEqual(['gap:small']);
    await b.broker.publish('gap:small', 'after');
    await until(() => a.pubs.at(-1)?.data === 'after', 'delivery after the loss');
  });

  it('presence of a node that stopped refreshing lapses after the TTL; a live node keeps its entries', async () => {
    const dead = await start(node(prefix, { presenceTtlMs: 1_000 }));
    const live = await start(node(prefix, { presenceTtlMs: 1_000 }));
    await dead.broker.addPresence('gap:room', { client: 'ghost', user: 'u1' });
    await live.broker.addPresence('gap:room', { client: 'alive', user: 'u2' });
    expect(Object.keys(await live.broker.presence('gap:room')).sort()).toEqual(['alive', 'ghost']);
    // Stopping without releasing is what a killed node leaves behind: entries nobody refreshes.
    await dead.broker.stop();
    await new Promise((r) => setTimeout(r, 1_600));
    expect(Object.keys(await live.broker.presence('gap:room'))).toEqual(['alive']);
    expect(await live.broker.presenceStats('gap:room')).toEqual({ num_clients: 1, num_users: 1 });
  });

  it('a stream found behind what a node saw of it (writes lost in a failover) restarts in a new epoch: no offset is given twice', async () => {
    const a = await start(node(prefix));
    const b = await start(node(prefix));
    await b.broker.subscribe('gap:lost');
    const first = await a.broker.publish('gap:lost', 1);
    await a.broker.publish('gap:lost', 2);
    const third = await a.broker.publish('gap:lost', 3);
    await until(() => b.pubs.length === 3, 'the three publications at the subscribing node');
    // As a replica promoted before it had the third write would hold it: the entry and the offset gone.
    await admin.xdel(`${prefix}:s:{gap:lost}`, '3-0');
    await admin.hset(`${prefix}:m:{gap:lost}`, 's', 2);
    // The subscribing node saw offset 3: its publish finds the stream behind and starts a new epoch.
    const after = await b.broker.publish('gap:lost', 4);
    expect(after?.epoch).not.toBe(first?.epoch);
    expect(after?.offset).toBe(1);
    expect(b.broker.stats().epochResets).toBe(1);
    // A client recovering from the lost position is told it is gone, not handed another publication under its offset.
    await expect(a.broker.history('gap:lost', { since: third as { offset: number; epoch: string }, limit: -1 })).rejects.toMatchObject({ code: ErrorCode.UnrecoverablePosition });
    // The other node saw the old epoch only: it goes on in the new one, without a reset of its own.
    expect(await a.broker.publish('gap:lost', 5)).toEqual({ epoch: after?.epoch, offset: 2 });
    expect(a.broker.stats().epochResets).toBe(0);
  });

  it('keys and channels stay under the prefix', async () => {
    const a = await start(node(prefix));
    await a.broker.subscribe('gap:keys');
    const channels = (await admin.pubsub('CHANNELS', '*gap:keys*')) as string[];
    expect(channels).toEqual([`${prefix}:c:{gap:keys}`]);
    await a.broker.publish('gap:keys', 1);
    await a.broker.addPresence('gap:keys', { client: 'c', user: 'u' });
    const keys = await admin.keys(`*gap:keys*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys.filter((key) => key.includes(prefix) || !key.startsWith('sntest:'))) expect(k.startsWith(`${prefix}:`)).toBe(true);
  });
});

describe.runIf(redisServerInstalled())('Redis broker through Sentinel', () => {
  it('keeps publishing and delivering across a failover, on one stream', async () => {
    const sentinel = await startRedisSentinel();
    const pubs: Publication[] = [];
    const broker = redisBroker({
      prefix: testPrefix('sentinel'),
      namespaces: loadConfig({}).namespaces,
      fanout: { publication: (_c, pub) => pubs.push(pub), join() {}, leave() {} },
      connector: createRedisConnector({ url: sentinel.url, topology: 'sentinel', sentinelMaster: sentinel.name }),
    });
    try {
      await broker.start();
      await broker.subscribe('public:fo');
      const first = await broker.publish('public:fo', 'before');
      // Replication is asynchronous: a write the replica has not received when it is promoted is
      // lost (as in any Redis failover). Here it has: the test is about the broker, not the lag.
      await withRedis(await sentinel.master(), (r) => r.call('WAIT', 1, 5_000));
      await sentinel.failover();
      // Writes may fail for a moment while the clients move to the new master: the caller retries.
      let after;
      for (let i = 0; i < 100 && !after; i++) {
        after = await broker.publish('public:fo', 'after').catch(() => undefined);
        if (!after) await new Promise((r) => setTimeout(r, 100));
      }
      expect(after?.epoch).toBe(first?.epoch);
      expect(after?.offset).toBe((first?.offset ?? 0) + 1);
      await until(() => pubs.some((p) => p.data === 'after'), 'delivery from the new master');
      // Reads too: ioredis can move a connection twice (the READONLY reply, then Sentinel's
      // +switch-master), and in between a command fails at once rather than queue.
      let history;
      for (let i = 0; i < 100 && !history; i++) {
        history = await broker.history('public:fo', { limit: -1 }).catch(() => undefined);
        if (!history) await new Promise((r) => setTimeout(r, 100));
      }
      expect(history?.publications.map((p) => p.data)).toEqual(['before', 'after']);
    } finally {
      await broker.stop();
      await sentinel.stop();
    }
  });
});
