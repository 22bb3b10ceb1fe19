import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRedisConnector, RedisConnectionError, redisConnectorFrom, type RedisClient, type RedisConnector } from '../../src/redis/index.js';
import { loadConfig } from '../../src/config/index.js';
import { redisServerInstalled, startRedisServer, withRedis, type RedisServer } from '../support/redis-server.js';
import { startRedisCluster, type RedisClusterHarness } from '../support/redis-cluster.js';
import { startRedisSentinel, type RedisSentinelHarness } from '../support/redis-sentinel.js';
import { until } from '../support/client.js';
import { startEngine } from '../support/engine.js';

/**
 * The connector against each topology, started for real on private redis-servers: one server, a
 * master with a replica under Sentinel, and a three-master Redis Cluster. Each is started once.
 */
const installed = redisServerInstalled();
const prefix = `supernova-test-topology-${randomUUID().slice(0, 8)}`;
/** Every byte value, so a payload mangled as text (or cut at a NUL) shows. */
const binary = (tag: number) => Buffer.concat([Buffer.from([tag]), Buffer.from(Array.from({ length: 256 }, (_, i) => i))]);

const opened: RedisClient[] = [];
async function open(connector: RedisConnector, kind: 'command' | 'subscriber', role: string): Promise<RedisClient> {
  const client = connector[kind](role, { lazyConnect: true });
  // Errors while connected (a failover resets connections) are the reconnects these tests watch.
  client.on('error', () => {});
  try {
    await connector.connect(client);
  } catch (err) {
    client.disconnect(); // it would go on retrying
    throw err;
  }
  opened.push(client);
  return client;
}
/** Closes this file's connections before their servers go, so none is left reconnecting. */
function closeOpened(): void {
  for (const c of opened.splice(0)) c.disconnect();
}

/** The port of the server a connection is on, as that server says. */
async function serverPort(client: RedisClient): Promise<number> {
  return Number(/tcp_port:(\d+)/.exec(String(await client.call('INFO', 'server')))?.[1]);
}

/** SET/GET of a key of our own, deleted after. */
async function setAndGet(cmd: RedisClient, key: string): Promise<void> {
  expect(await cmd.set(key, 'value', 'EX', 60)).toBe('OK');
  expect(await cmd.get(key)).toBe('value');
  expect(await cmd.del(key)).toBe(1);
}

// Two keys of one channel (the hash tag picks the slot), written and read back in one script.
const TWO_KEYS = `redis.call('SET', KEYS[1], ARGV[1], 'EX', 60)
redis.call('SET', KEYS[2], ARGV[2], 'EX', 60)
return {redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2])}`;

async function scriptOnChannelKeys(cmd: RedisClient, channel: string): Promise<void> {
  const keys = [`${prefix}:a:{${channel}}`, `${prefix}:b:{${channel}}`];
  expect(await cmd.eval(TWO_KEYS, 2, ...keys, `a-${channel}`, `b-${channel}`)).toEqual([`a-${channel}`, `b-${channel}`]);
  expect(await cmd.del(...keys)).toBe(2);
}

/**
 * Binary publications on each channel reach the subscriber intact, on plain or sharded PUB/SUB;
 * `subscribed` looks at the servers while the subscriptions stand.
 */
async function pubSubRoundTrip(connector: RedisConnector, cmd: RedisClient, sub: RedisClient, channels: readonly string[], subscribed = async () => {}): Promise<void> {
  const got = new Map<string, Buffer>();
  const event = connector.shardedPubSub ? 'smessageBuffer' : 'messageBuffer';
  const onMessage = (channel: Buffer, message: Buffer) => got.set(channel.toString(), message);
  sub.on(event, onMessage);
  try {
    for (const ch of channels) await (connector.shardedPubSub ? sub.ssubscribe(ch) : sub.subscribe(ch));
    for (const [i, ch] of channels.entries()) {
      expect(await (connector.shardedPubSub ? cmd.spublish(ch, binary(i)) : cmd.publish(ch, binary(i)))).toBe(1);
    }
    await until(() => got.size === channels.length, `a publication on each of ${channels.join(', ')}`);
    for (const [i, ch] of channels.entries()) expect(got.get(ch)?.equals(binary(i))).toBe(true);
    await subscribed();
  } finally {
    sub.off(event, onMessage);
    for (const ch of channels) await (connector.shardedPubSub ? sub.sunsubscribe(ch) : sub.unsubscribe(ch));
  }
}

describe.skipIf(!installed)('Redis topologies on private redis-servers', () => {
  describe('single server', () => {
    let server: RedisServer;
    let connector: RedisConnector;
    beforeAll(async () => {
      server = await startRedisServer();
      connector = createRedisConnector({ url: server.url });
    });
    afterAll(async () => {
      closeOpened();
      await server?.stop();
    });

    it('commands, a script on two keys of a channel, and binary PUB/SUB', async () => {
      expect(connector).toMatchObject({ topology: 'single', shardedPubSub: false });
      const cmd = await open(connector, 'command', 'topology-cmd');
      expect(await cmd.call('CLIENT', 'GETNAME')).toBe('supernova-topology-cmd');
      await setAndGet(cmd, `${prefix}:k`);
      await scriptOnChannelKeys(cmd, 'ticks:SPY');
      await pubSubRoundTrip(connector, cmd, await open(connector, 'subscriber', 'topology-sub'), [`${prefix}:{ticks:SPY}`, `${prefix}:{ticks:QQQ}`]);
    });

    it('connection failures are RedisConnectionErrors naming the variables, the password redacted', async () => {
      const down = createRedisConnector({ url: 'redis://:hunter2@127.0.0.1:1' });
      const err = await open(down, 'command', 'probe').then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(RedisConnectionError);
      expect(err).toMatchObject({ code: 'REDIS_UNAVAILABLE', target: 'redis://:***@127.0.0.1:1 (single)', connection: 'supernova-probe' });
      expect((err as Error).cause).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/ECONNREFUSED.*SUPERNOVA_REDIS_URL and SUPERNOVA_REDIS_TOPOLOGY/);
      expect((err as Error).message).not.toContain('hunter2');

      // A cluster client on a plain server: the message says the topology is wrong.
      const notCluster = createRedisConnector({ url: server.url, topology: 'cluster' });
      await expect(open(notCluster, 'command', 'probe')).rejects.toThrow(/cluster support disabled.*set SUPERNOVA_REDIS_TOPOLOGY=single/);
    });

    it('a killed server restarts on its port, empty (no persistence); open connections come back', async () => {
      const own = await startRedisServer();
      const c = createRedisConnector({ url: own.url });
      const cmd = c.command('restart', { lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: 0 });
      cmd.on('error', () => {});
      try {
        await c.connect(cmd);
        await cmd.set(`${prefix}:lost`, '1');
        const port = own.port;
        await own.kill();
        expect(own.running).toBe(false);
        await expect(cmd.ping()).rejects.toThrow();
        await own.restart();
        expect(own.port).toBe(port);
        await expect.poll(() => cmd.ping().catch(() => 'down'), { timeout: 5_000, interval: 50 }).toBe('PONG');
        expect(await cmd.exists(`${prefix}:lost`)).toBe(0);
      } finally {
        cmd.disconnect();
        await own.stop();
      }
      expect(existsSync(own.dir)).toBe(false);
    });

    it('refused credentials say to check them', async () => {
      const guarded = await startRedisServer({ args: ['--requirepass', 'right'] });
      try {
        const good = await open(createRedisConnector({ url: `redis://:right@${guarded.address}` }), 'command', 'auth');
        await setAndGet(good, `${prefix}:auth`);
        const bad = createRedisConnector({ url: `redis://:wrong@${guarded.address}` });
        const err = await open(bad, 'command', 'auth').then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(RedisConnectionError);
        expect((err as Error).message).toMatch(/WRONGPASS.*check the user and password in SUPERNOVA_REDIS_URL/);
        expect((err as Error).message).not.toContain('wrong@');
      } finally {
        await guarded.stop();
      }
    });
  });

  describe('Sentinel', () => {
    let sentinel: RedisSentinelHarness;
    let connector: RedisConnector;
    beforeAll(async () => {
      sentinel = await startRedisSentinel();
      connector = createRedisConnector({ url: sentinel.url, topology: 'sentinel', sentinelMaster: sentinel.name });
    });
    afterAll(async () => {
      closeOpened();
      await sentinel?.stop();
    });

    it('commands on the master, a script on two keys of a channel, and binary PUB/SUB', async () => {
      expect(connector).toMatchObject({ topology: 'sentinel', shardedPubSub: false });
      expect(connector.describe()).toBe(`master ${sentinel.name} via Sentinels ${sentinel.url}`);
      const cmd = await open(connector, 'command', 'sentinel-cmd');
      expect(await serverPort(cmd)).toBe(await sentinel.masterPort());
      await setAndGet(cmd, `${prefix}:k`);
      await scriptOnChannelKeys(cmd, 'ticks:SPY');
      await pubSubRoundTrip(connector, cmd, await open(connector, 'subscriber', 'sentinel-sub'), [`${prefix}:{ticks:SPY}`]);
    });

    it('after SENTINEL FAILOVER, connections reach the new master: open ones, new ones and subscribers', async () => {
      const cmd = await open(connector, 'command', 'failover-cmd');
      const sub = await open(connector, 'subscriber', 'failover-sub');
      const channel = `${prefix}:{failover}`;
      const got: Buffer[] = [];
      sub.on('messageBuffer', (_ch: Buffer, message: Buffer) => got.push(message));
      await sub.subscribe(channel);
      const before = await sentinel.masterPort();

      const master = await sentinel.failover();
      expect(master.port).not.toBe(before);
      // The old master is still up and writable for a while; the open connection must leave it.
      await expect.poll(() => serverPort(cmd).catch(() => 0), { timeout: 10_000, interval: 50 }).toBe(master.port);
      await setAndGet(cmd, `${prefix}:after`);
      const fresh = await open(connector, 'command', 'after-failover');
      expect(await serverPort(fresh)).toBe(master.port);
      // The subscriber moved too, and resubscribed there: what the new master publishes reaches it.
      await expect.poll(() => fresh.publish(channel, binary(7)), { timeout: 10_000, interval: 50 }).toBe(1);
      await until(() => got.length > 0, 'the publication after the failover');
      expect(got[0]?.equals(binary(7))).toBe(true);
    });
  });

  describe('Sentinels with a password of their own', () => {
    let sentinel: RedisSentinelHarness;
    beforeAll(async () => {
      sentinel = await startRedisSentinel({ sentinelPassword: 'sentinel-secret' });
    });
    afterAll(async () => {
      closeOpened();
      await sentinel?.stop();
    });

    it('reaches the master with SUPERNOVA_REDIS_SENTINEL_PASSWORD, and without it fails saying the Sentinels refused', async () => {
      const config = loadConfig({
        SUPERNOVA_REDIS_URL: sentinel.url, SUPERNOVA_REDIS_TOPOLOGY: 'sentinel', SUPERNOVA_REDIS_SENTINEL_MASTER: sentinel.name, SUPERNOVA_REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
      });
      const connector = redisConnectorFrom(config) as RedisConnector;
      expect(connector.describe()).toBe(`master ${sentinel.name} via Sentinels ${sentinel.url} (password ***)`);
      const cmd = await open(connector, 'command', 'sentinel-auth');
      expect(await serverPort(cmd)).toBe(await sentinel.masterPort());
      await setAndGet(cmd, `${prefix}:auth`);
      const without = createRedisConnector({ url: sentinel.url, topology: 'sentinel', sentinelMaster: sentinel.name });
      const refused = without.command('sentinel-noauth', { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      refused.on('error', () => {});
      opened.push(refused);
      const err = await without.connect(refused).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(RedisConnectionError);
      expect((err as Error).message).toMatch(/The Sentinels refuse the credentials: set SUPERNOVA_REDIS_SENTINEL_PASSWORD/);
      // A wrong one is refused the same way.
      const wrong = createRedisConnector({ url: sentinel.url, topology: 'sentinel', sentinelMaster: sentinel.name, sentinelAuth: { password: 'not-it' } });
      const client = wrong.command('sentinel-wrongauth', { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      client.on('error', () => {});
      opened.push(client);
      await expect(wrong.connect(client)).rejects.toThrow(/The Sentinels refuse the credentials/);
    });
  });

  describe('Cluster (three masters)', () => {
    let cluster: RedisClusterHarness;
    let connector: RedisConnector;
    /** Channels whose hash slots are served by each of the three masters. */
    let channels: string[];
    beforeAll(async () => {
      cluster = await startRedisCluster();
      connector = createRedisConnector({ url: cluster.url, topology: 'cluster' });
      const byPort = new Map<number, string>();
      for (let i = 0; byPort.size < cluster.nodes.length; i++) {
        const channel = `ticks:S${i}`;
        const port = await cluster.portOf(`{${channel}}`);
        if (!byPort.has(port)) byPort.set(port, channel);
      }
      channels = [...byPort.values()];
    });
    afterAll(async () => {
      closeOpened();
      await cluster?.stop();
    });

    it('commands and a script on two keys of a channel, for channels on every master', async () => {
      expect(connector).toMatchObject({ topology: 'cluster', shardedPubSub: true });
      const cmd = await open(connector, 'command', 'cluster-cmd');
      for (const ch of channels) {
        await setAndGet(cmd, `${prefix}:k:{${ch}}`);
        await scriptOnChannelKeys(cmd, ch);
      }
      // Two keys of different channels are refused (CROSSSLOT): the hash tag is what makes the script work.
      const [a, b] = channels as [string, string];
      await expect(cmd.eval(TWO_KEYS, 2, `${prefix}:a:{${a}}`, `${prefix}:b:{${b}}`, 'x', 'y')).rejects.toThrow(/CROSSSLOT/);
    });

    it('binary sharded PUB/SUB (SPUBLISH/SSUBSCRIBE) on channels on every master, one subscriber connection per master', async () => {
      const cmd = await open(connector, 'command', 'cluster-pub');
      const sub = await open(connector, 'subscriber', 'cluster-sub');
      const names = channels.map((ch) => `${prefix}:{${ch}}`);
      expect(new Set(await Promise.all(names.map((n) => cluster.portOf(n))))).toEqual(new Set(cluster.nodes.map((n) => n.port)));
      await pubSubRoundTrip(connector, cmd, sub, names, async () => {
        for (const node of cluster.nodes) {
          const clients = String(await withRedis(node, (r) => r.call('CLIENT', 'LIST')));
          expect(clients).toMatch(/name=ioredis-cluster\(ssubscriber\):supernova-cluster-sub .* ssub=1 /);
        }
      });
    });

    it('an engine configured for the cluster reads its tick feed and shares its HTTP rate limits there', async () => {
      const stream = `${prefix}:{ticks}`;
      // The memory broker: this is about the feed and the limits; the broker's cluster suite is its own.
      const t = await startEngine({ broker: 'memory', redisUrl: cluster.url, redisTopology: 'cluster', redisPrefix: prefix, feed: 'redis', feedStream: stream, feedBlockMs: 100, httpRateOps: '2/60s' });
      try {
        const cmd = await open(connector, 'command', 'cluster-engine');
        await cmd.xadd(stream, '*', 'symbol', 'CLU', 'price', '10', 'size', '2', 'ts', String(Date.now()));
        await expect.poll(async () => (await fetch(`${t.http}/api/v1/market/CLU`)).status, { timeout: 5_000, interval: 50 }).toBe(200);
        const ops = async () => (await fetch(`${t.http}/performance/metrics/resources`)).status;
        expect([await ops(), await ops(), await ops()]).toEqual([200, 200, 429]);
        expect(await cmd.get(`${prefix}:ratelimit:ops:addr:127.0.0.1`)).toBe('3');
        for (const key of [stream, `${prefix}:ratelimit:ops:addr:127.0.0.1`]) await cmd.del(key); // two slots: one at a time
      } finally {
        await t.stop();
      }
    });
  });
});
