import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startEngine, type TestEngine } from '../support/engine.js';
import { api, connected, subscribed, until } from '../support/client.js';
import { REDIS_URL, redisReachable } from '../support/redis.js';
import { cleanPrefix, testPrefix } from '../support/redis-broker.js';
import { emulatedClient, type EmulatedTransport } from '../support/emulation-client.js';
import { StreamReader } from '../support/stream-reader.js';

// Three engines on one Redis, on one host (they share its name): a stream lives on node B, every
// later command goes to node A's /emulation (as behind a balancer without stickiness) and reaches
// B alone over B's own control channel; node C never sees it.

const reachable = await redisReachable();

const json = { 'content-type': 'application/json' };
const connectBody = JSON.stringify({ id: 1, connect: {} });

interface Forwards { out: number; in: number }

async function forwards(t: TestEngine): Promise<Forwards> {
  const text = await (await fetch(`${t.http}/metrics`)).text();
  const read = (direction: string): number => {
    const m = new RegExp(`^supernova_emulation_forwards_total\\{direction="${direction}"\\} (\\d+)$`, 'm').exec(text);
    if (!m) throw new Error(`no supernova_emulation_forwards_total{direction="${direction}"} in /metrics`);
    return Number(m[1]);
  };
  return { out: read('out'), in: read('in') };
}

async function httpStream(t: TestEngine): Promise<{ reader: StreamReader; session: string; node: string }> {
  const reader = await StreamReader.open(`${t.http}/connection/http_stream`, { method: 'POST', headers: json, body: connectBody });
  const reply = await reader.next((m) => m.id === 1, 'connect reply');
  const { session, node } = reply.connect as { session: string; node: string };
  return { reader, session, node };
}

const emulate = (t: TestEngine, body: unknown): Promise<Response> => fetch(`${t.http}/emulation`, { method: 'POST', headers: json, body: JSON.stringify(body) });

describe.runIf(reachable)('emulation across nodes (Redis broker)', () => {
  const prefix = testPrefix('emulation');
  const o = { apiKey: 'test-key', redisUrl: REDIS_URL, redisPrefix: prefix };
  let a: TestEngine;
  let b: TestEngine;
  let c: TestEngine;
  beforeAll(async () => {
    [a, b, c] = await Promise.all([startEngine(o), startEngine(o), startEngine(o)]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
    await cleanPrefix(prefix);
  });

  it('the connect reply of a stream names its node by the id /api/info lists, not by the host name the nodes share', async () => {
    const onA = await httpStream(a);
    const onB = await httpStream(b);
    const info = await api(a.http, 'info', {});
    const uids = (info.json.result as { nodes: { uid: string; name: string }[] }).nodes.map((n) => n.uid);
    expect(uids).toContain(onA.node);
    expect(uids).toContain(onB.node);
    expect(onA.node).not.toBe(onB.node);
    onA.reader.close();
    onB.reader.close();
    await until(() => a.engine.streamSessions === 0 && b.engine.streamSessions === 0, 'streams released');
  });

  it.each(['http_stream', 'sse'] as EmulatedTransport[])('over %s: a session on node B, its commands posted to node A, reach B and only B', async (transport) => {
    const before = await Promise.all([a, b, c].map(forwards));
    const client = emulatedClient(b.http, transport, { emulationEndpoint: `${a.http}/emulation` });
    await connected(client);
    expect(b.engine.streamSessions).toBe(1);
    expect(a.engine.streamSessions).toBe(0);
    const channel = `public:cluster-${transport}`;
    const sub = await subscribed(client, channel);
    const got: unknown[] = [];
    sub.on('publication', (ctx) => got.push(ctx.data));
    await sub.publish({ from: transport });
    await c.engine.publish(channel, { from: 'node c' });
    await until(() => got.length === 2, 'both publications');
    expect(got).toEqual([{ from: transport }, { from: 'node c' }]);
    expect(Object.keys((await sub.presence()).clients)).toHaveLength(1);
    await expect(client.publish('metrics', { x: 1 })).rejects.toMatchObject({ code: 103 });
    client.disconnect();
    await until(() => b.engine.streamSessions === 0, 'session released on node B');
    const [fa, fb, fc] = await Promise.all([a, b, c].map(forwards));
    const sent = (fa as Forwards).out - (before[0] as Forwards).out;
    // subscribe, publish, presence and the refused publish at least: each went from A to B.
    expect(sent).toBeGreaterThanOrEqual(4);
    expect((fb as Forwards).in - (before[1] as Forwards).in).toBe(sent);
    expect((fc as Forwards).in - (before[2] as Forwards).in).toBe(0);
    expect((fa as Forwards).in - (before[0] as Forwards).in).toBe(0);
  });

  it('a request naming no node, the receiving node, a node that does not exist or a stopped one is 404 SESSION_NOT_FOUND at once, sent to nobody', async () => {
    const d = await startEngine(o);
    const gone = await httpStream(d);
    gone.reader.close();
    await d.stop();
    const live = await httpStream(b);
    const onA = await httpStream(a);
    onA.reader.close();
    const before = await Promise.all([b, c].map(forwards));
    for (const [node, why] of [['', 'no node'], [onA.node, 'the receiving node'], [randomUUID(), 'an unknown node'], ['not-a-node', 'a made-up id'], [gone.node, 'a stopped node']] as const) {
      const started = performance.now();
      const res = await emulate(a, { session: live.session, node, data: JSON.stringify({ id: 2, presence_stats: { channel: 'public:x' } }) });
      expect(res.status, why).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code, why).toBe('SESSION_NOT_FOUND');
      expect(performance.now() - started, why).toBeLessThan(1_000);
    }
    const after = await Promise.all([b, c].map(forwards));
    expect(after.map((f) => f.in)).toEqual(before.map((f) => f.in));
    expect(live.reader.messages.some((m) => m.id === 2)).toBe(false);
    // The same request naming the session's node is delivered.
    expect((await emulate(a, { session: live.session, node: live.node, data: JSON.stringify({ id: 3, subscribe: { channel: 'public:x' } }) })).status).toBe(204);
    expect(await live.reader.next((m) => m.id === 3, 'reply through node A')).toMatchObject({ id: 3, subscribe: {} });
    live.reader.close();
    await until(() => b.engine.streamSessions === 0, 'released');
  });

  it('a live node answers 204 for a session it does not hold (it cannot tell), and a lone node 404s what it does not hold', async () => {
    const { reader, node } = await httpStream(b);
    const res = await emulate(a, { session: randomUUID(), node, data: '{}' });
    expect(res.status).toBe(204);
    reader.close();
    const lone = await startEngine({});
    try {
      const r = await emulate(lone, { session: 'nobody', node, data: '{}' });
      expect(r.status).toBe(404);
    } finally {
      await lone.stop();
    }
  });
});
