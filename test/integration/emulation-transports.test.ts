import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect as tcpConnect } from 'node:net';
import { SignJWT } from 'jose';
import { EventSource } from 'eventsource';
import { startEngine, type TestEngine } from '../support/engine.js';
import { until } from '../support/client.js';
import { StreamReader } from '../support/stream-reader.js';
import { metric } from '../support/delta.js';

// The stream transports at the wire: framing, the uni transports, hostile input on every new
// route, slow and vanished readers, the session table's bound, and cleanup at stop.

const SECRET = 'uni-transport-secret-long-enough';
const key = new TextEncoder().encode(SECRET);
const token = (claims: Record<string, unknown>): Promise<string> =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(Math.floor(Date.now() / 1000) + 60).sign(key);

const json = { 'content-type': 'application/json' };
const connectBody = JSON.stringify({ id: 1, connect: {} });

let t: TestEngine;
beforeAll(async () => { t = await startEngine({ apiKey: 'test-key', tokenHmacSecret: SECRET, maxFrameBytes: 4096, commandsPerSecond: 5, commandBurst: 5 }); });
afterAll(async () => { await t.stop(); });

async function httpStream(): Promise<{ reader: StreamReader; session: string; node: string }> {
  const reader = await StreamReader.open(`${t.http}/connection/http_stream`, { method: 'POST', headers: json, body: connectBody });
  const reply = await reader.next((m) => m.id === 1, 'connect reply');
  const result = reply.connect as { session: string; node: string };
  return { reader, session: result.session, node: result.node };
}

const emulate = (body: unknown, headers: Record<string, string> = json) =>
  fetch(`${t.http}/emulation`, { method: 'POST', headers, body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body) });

describe('http_stream framing', () => {
  it('streams newline-delimited replies; /emulation carries later commands, answered 204', async () => {
    const { reader, session, node } = await httpStream();
    expect(session).toMatch(/^[0-9a-f-]{36}$/);
    expect(node).toBeTruthy();
    const res = await emulate({ session, node, data: `${JSON.stringify({ id: 2, subscribe: { channel: 'public:frame' } })}\n${JSON.stringify({ id: 3, presence_stats: { channel: 'public:other' } })}` });
    expect(res.status).toBe(204);
    await reader.next((m) => m.id === 2, 'subscribe reply');
    await reader.next((m) => m.id === 3, 'second reply of the frame');
    expect((await emulate({ session, node, data: JSON.stringify({ id: 4, presence_stats: { channel: 'public:frame' } }) })).status).toBe(204);
    expect((await reader.next((m) => m.id === 4, 'presence reply')).presence_stats).toEqual({ num_clients: 1, num_users: 1 });
    await t.engine.publish('public:frame', { hello: 1 });
    const push = await reader.next((m) => (m.push as { pub?: unknown } | undefined)?.pub !== undefined, 'publication push');
    expect(push).toMatchObject({ push: { channel: 'public:frame', pub: { data: { hello: 1 } } } });
    reader.close();
    await until(() => t.engine.streamSessions === 0, 'aborted stream released');
  });

  it('commands over the rate limit get 111, as over WebSocket', async () => {
    const { reader, session, node } = await httpStream();
    const data = Array.from({ length: 12 }, (_, i) => JSON.stringify({ id: 10 + i, presence_stats: { channel: 'public:rate' } })).join('\n');
    expect((await emulate({ session, node, data })).status).toBe(204);
    await reader.next((m) => m.id === 21, 'last reply');
    const limited = reader.messages.filter((m) => (m.error as { code?: number } | undefined)?.code === 111);
    expect(limited.length).toBeGreaterThanOrEqual(6);
    reader.close();
    await until(() => t.engine.streamSessions === 0, 'released');
  });
});

describe('writes after the publishing callback', () => {
  it('publications of one API request reach every session whole and in order, ahead of the disconnect that follows them', async () => {
    const user = 'pass-user';
    const connect = JSON.stringify({ id: 1, connect: { token: await token({ sub: user }) } });
    const readers: StreamReader[] = [];
    for (let i = 0; i < 20; i++) {
      const reader = await StreamReader.open(`${t.http}/connection/http_stream`, { method: 'POST', headers: json, body: connect });
      const { session, node } = (await reader.next((m) => m.id === 1, 'connect reply')).connect as { session: string; node: string };
      expect((await emulate({ session, node, data: JSON.stringify({ id: 2, subscribe: { channel: 'public:pass' } }) })).status).toBe(204);
      await reader.next((m) => m.id === 2, 'subscribe reply');
      readers.push(reader);
    }
    const deferred = () => metric(t.http, 'supernova_stream_write_passes_total{reason="deferred"}');
    const pubs = (reader: StreamReader) => reader.messages.flatMap((m) => {
      const pub = (m.push as { pub?: { data: { n: number } } } | undefined)?.pub;
      return pub ? [pub.data.n] : [];
    });
    const before = await deferred();
    const publish = Array.from({ length: 5 }, (_, n) => ({ publish: { channel: 'public:pass', data: { n } } }));
    const api = (commands: unknown[]) => fetch(`${t.http}/api/batch`, { method: 'POST', headers: { ...json, 'x-api-key': 'test-key' }, body: JSON.stringify({ commands }) });
    expect((await api(publish)).status).toBe(200);
    for (const reader of readers) await until(() => pubs(reader).length === 5, 'five publications');
    // Written in passes after the request's callback, each reaching all 20 sessions: not one per session.
    const passes = (await deferred()) - before;
    expect(passes).toBeGreaterThanOrEqual(1);
    expect(passes).toBeLessThanOrEqual(5);
    expect((await api([...publish, { disconnect: { user, disconnect: { code: 4005, reason: 'after the publications' } } }])).status).toBe(200);
    for (const reader of readers) {
      await until(() => reader.ended, 'the stream ended by the disconnect');
      expect(pubs(reader)).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
      expect(reader.messages.at(-1)).toEqual({ push: { disconnect: { code: 4005, reason: 'after the publications', reconnect: false } } });
    }
    expect(await metric(t.http, 'supernova_stream_write_passes_total{reason="full"}')).toBe(0);
    await until(() => t.engine.streamSessions === 0, 'sessions released');
  });
});

describe('hostile input', () => {
  it('bad stream connects are 400/413 with a JSON error, and no session is left', async () => {
    const post = (body: string, headers = json) => fetch(`${t.http}/connection/http_stream`, { method: 'POST', headers, body });
    for (const [body, why] of [['', 'empty'], ['{not json', 'invalid'], [JSON.stringify({ id: 1, subscribe: { channel: 'x' } }), 'not connect'], ['[1,2,3]', 'array'], ['['.repeat(4000), 'deep']] as const) {
      const res = await post(body);
      expect(res.status, why).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code, why).toBe('BAD_REQUEST');
    }
    const huge = await post(JSON.stringify({ id: 1, connect: { data: 'x'.repeat(10_000) } }));
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
    const pb = await post('\xff\xff\xff\xff\x0f', { 'content-type': 'application/octet-stream' });
    expect(pb.status).toBe(400);
    expect((await fetch(`${t.http}/connection/sse`)).status).toBe(400);
    expect((await fetch(`${t.http}/connection/sse?cf_connect=${encodeURIComponent('{oops')}`)).status).toBe(400);
    expect((await fetch(`${t.http}/connection/uni_sse?cf_connect=${encodeURIComponent('[]')}`)).status).toBe(400);
    expect(t.engine.streamSessions).toBe(0);
  });

  it('bad emulation requests are 400/404/413, and a malformed frame for a live session closes it with 3501', async () => {
    const cases: [unknown, number][] = [
      ['not json', 400], [[], 400], [{ node: 'x', data: '{}' }, 400], [{ session: 42, data: '{}' }, 400],
      [{ session: 's'.repeat(1000), data: '{}' }, 400], [{ session: 'nope', node: 'n', data: 42 }, 400],
      [{ session: '00000000-0000-0000-0000-000000000000', node: '', data: '{}' }, 404],
      [{ session: 'x', data: 'y'.repeat(20_000) }, 413],
    ];
    for (const [body, status] of cases) {
      const res = await emulate(body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(status);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBeTruthy();
    }
    expect((await emulate(new Uint8Array([0xff, 0xff, 0xff]), { 'content-type': 'application/octet-stream' })).status).toBe(400);
    const { reader, session, node } = await httpStream();
    // A JSON session sent protobuf is refused without harm.
    expect((await emulate(new Uint8Array([0]), { 'content-type': 'application/octet-stream' })).status).toBe(400);
    expect((await emulate({ session, node, data: '{broken' })).status).toBe(400);
    expect(await reader.next((m) => m.push !== undefined, 'disconnect push')).toEqual({ push: { disconnect: { code: 3501, reason: 'bad request', reconnect: false } } });
    await until(() => reader.ended && t.engine.streamSessions === 0, 'session closed');
  });

  it('a flood of emulation requests for unknown sessions is answered 404 and leaves the server responsive', async () => {
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 2000 }, (_, i) => emulate({ session: `flood-${i}`, node: 'n', data: '{}' }).then((r) => r.status)));
    expect(new Set(answers)).toEqual(new Set([404]));
    expect((await fetch(`${t.http}/performance/health`)).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(20_000);
    const metrics = await (await fetch(`${t.http}/metrics`)).text();
    expect(metrics).toMatch(/supernova_stream_refused_total\{reason="no_session"\} (\d+)/);
    expect(Number(/supernova_stream_refused_total\{reason="no_session"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2000);
  });
});

describe('uni transports', () => {
  it('uni_http_stream: a connect push with the session, then bare pushes of the token\'s channels', async () => {
    const body = JSON.stringify({ token: await token({ sub: 'curl', channels: ['public:uni'] }) });
    const reader = await StreamReader.open(`${t.http}/connection/uni_http_stream`, { method: 'POST', headers: json, body });
    const first = await reader.next((m) => m.connect !== undefined, 'connect push');
    const result = first.connect as Record<string, unknown>;
    expect(result.session).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.pong).toBeUndefined();
    expect(Object.keys(result.subs as object)).toEqual(['public:uni']);
    await t.engine.publish('public:uni', { v: 1 });
    expect(await reader.next((m) => m.pub !== undefined, 'publication')).toMatchObject({ channel: 'public:uni', pub: { data: { v: 1 } } });
    reader.close();
  });

  it('uni_sse with EventSource: connect, then publications; a bad token is a disconnect 3500', async () => {
    const connect = encodeURIComponent(JSON.stringify({ token: await token({ sub: 'es', channels: ['public:unisse'] }) }));
    const got: Record<string, unknown>[] = [];
    const es = new EventSource(`${t.http}/connection/uni_sse?cf_connect=${connect}`);
    es.onmessage = (e) => got.push(JSON.parse(e.data as string) as Record<string, unknown>);
    await until(() => got.some((m) => m.connect !== undefined), 'connect event');
    await t.engine.publish('public:unisse', { v: 2 });
    await until(() => got.some((m) => m.pub !== undefined), 'publication event');
    expect(got.find((m) => m.pub)).toMatchObject({ channel: 'public:unisse', pub: { data: { v: 2 } } });
    es.close();
    const bad = await StreamReader.open(`${t.http}/connection/uni_sse?cf_connect=${encodeURIComponent(JSON.stringify({ token: 'not-a-jwt' }))}`, {}, true);
    expect((await bad.next((m) => m.disconnect !== undefined, 'disconnect')).disconnect).toMatchObject({ code: 3500, reconnect: false });
    await until(() => bad.ended, 'stream ended');
    // Later commands to a uni session are refused.
    const reader = await StreamReader.open(`${t.http}/connection/uni_http_stream`, { method: 'POST', headers: json, body: '{}' });
    const session = ((await reader.next((m) => m.connect !== undefined, 'connect')).connect as { session: string }).session;
    expect((await emulate({ session, node: '', data: '{}' })).status).toBe(400);
    reader.close();
  });
});

describe('slow and vanished readers', () => {
  it('a reader that never reads is disconnected as slow (3008) and its session released', async () => {
    const s = await startEngine({ maxBackpressureBytes: 64 * 1024, commandsPerSecond: 1000, commandBurst: 1000 });
    try {
      const sock = tcpConnect(s.port, '127.0.0.1');
      let head = '';
      sock.on('data', (d) => { head += d.toString('latin1'); if (head.length > 2000) sock.pause(); });
      const body = `${JSON.stringify({ id: 1, connect: {} })}\n${JSON.stringify({ id: 2, subscribe: { channel: 'public:slow' } })}`;
      sock.write(`POST /connection/http_stream HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      await until(() => head.includes('"id":2'), 'subscribed');
      const big = 'z'.repeat(16 * 1024);
      for (let i = 0; i < 2000 && s.engine.streamSessions > 0; i++) {
        await s.engine.publish('public:slow', { big, i });
        if (i % 50 === 0) await new Promise((r) => setImmediate(r));
      }
      await until(() => s.engine.streamSessions === 0, 'slow reader released', 15_000);
      const metrics = await (await fetch(`${s.http}/metrics`)).text();
      expect(metrics.split('\n').filter((l) => l.startsWith('supernova_disconnects_total'))).toEqual([`supernova_disconnects_total{code="3008"} 1`]);
      sock.destroy();
    } finally {
      await s.stop();
    }
  }, 30_000);

  it('a client that stops answering pings is disconnected 3012; one that vanishes is released at once', async () => {
    const s = await startEngine({ pingIntervalMs: 1000, pongTimeoutMs: 300 });
    try {
      const reader = await StreamReader.open(`${s.http}/connection/sse?cf_connect=${encodeURIComponent(connectBody)}`, {}, true);
      await reader.next((m) => m.id === 1, 'connect reply');
      await reader.next((m) => Object.keys(m).length === 0, 'a ping {}', 3000);
      expect(await reader.next((m) => m.push !== undefined, 'disconnect', 3000)).toMatchObject({ push: { disconnect: { code: 3012, reconnect: true } } });
      await until(() => s.engine.streamSessions === 0 && reader.ended, 'no-pong session released');
      const gone = await StreamReader.open(`${s.http}/connection/http_stream`, { method: 'POST', headers: json, body: connectBody });
      await gone.next((m) => m.id === 1, 'connect reply');
      expect(s.engine.streamSessions).toBe(1);
      gone.close();
      await until(() => s.engine.streamSessions === 0, 'vanished client released', 2000);
    } finally {
      await s.stop();
    }
  });
});

describe('bounds and stop', () => {
  it('the session table is bounded: one more is 503 CONNECTION_LIMIT, counted', async () => {
    const s = await startEngine({ streamMaxSessions: 2 });
    try {
      const a = await StreamReader.open(`${s.http}/connection/http_stream`, { method: 'POST', headers: json, body: connectBody });
      const b = await StreamReader.open(`${s.http}/connection/sse?cf_connect=${encodeURIComponent(connectBody)}`, {}, true);
      await a.next((m) => m.id === 1, 'a');
      await b.next((m) => m.id === 1, 'b');
      const c = await fetch(`${s.http}/connection/http_stream`, { method: 'POST', headers: json, body: connectBody });
      expect(c.status).toBe(503);
      expect(((await c.json()) as { error: { code: string } }).error.code).toBe('CONNECTION_LIMIT');
      expect(await (await fetch(`${s.http}/metrics`)).text()).toMatch(/supernova_stream_refused_total\{reason="limit"\} 1/);
      a.close();
      await until(() => s.engine.streamSessions === 1, 'a released');
      const d = await StreamReader.open(`${s.http}/connection/http_stream`, { method: 'POST', headers: json, body: connectBody });
      await d.next((m) => m.id === 1, 'd after a left');
      b.close();
      d.close();
    } finally {
      await s.stop();
    }
  });

  it('engine stop ends every stream with disconnect 3001', async () => {
    const s = await startEngine({});
    const readers = await Promise.all([
      StreamReader.open(`${s.http}/connection/http_stream`, { method: 'POST', headers: json, body: connectBody }),
      StreamReader.open(`${s.http}/connection/sse?cf_connect=${encodeURIComponent(connectBody)}`, {}, true),
      StreamReader.open(`${s.http}/connection/uni_http_stream`, { method: 'POST', headers: json, body: '{}' }),
    ]);
    for (const r of readers) await r.next((m) => m.id === 1 || m.connect !== undefined, 'connected');
    await s.stop();
    await until(() => readers.every((r) => r.ended), 'every stream ended');
    expect(readers.map((r) => r.messages.at(-1))).toEqual([
      { push: { disconnect: { code: 3001, reason: 'shutdown', reconnect: true } } },
      { push: { disconnect: { code: 3001, reason: 'shutdown', reconnect: true } } },
      { disconnect: { code: 3001, reason: 'shutdown', reconnect: true } },
    ]);
    expect(s.engine.streamSessions).toBe(0);
  });
});
