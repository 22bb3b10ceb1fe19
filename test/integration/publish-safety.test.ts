import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Packr } from 'msgpackr';
import { startEngine, type TestEngine } from '../support/engine.js';
import { connectedRaw, RawSocket } from '../support/raw-socket.js';
import { api, until } from '../support/client.js';

// Issue #12, defects 1 and 2: data the server cannot encode must be refused when it is published,
// and whatever still fails to encode must cost one reply or one push, never the process or a frame.
let t: TestEngine;
beforeAll(async () => {
  t = await startEngine({ apiKey: 'test-key' });
});
afterAll(async () => { await t.stop(); });

const moreTypes = new Packr({ useRecords: false, moreTypes: true });

const nested = (levels: number): unknown => {
  let v: unknown = 'leaf';
  for (let i = 0; i < levels; i++) v = [v];
  return v;
};
// Built by hand: the test's own encoders would overflow their stack on such values.
const deepJson = (levels: number): string => `${'['.repeat(levels)}1${']'.repeat(levels)}`;
/** `{id, publish: {channel, data: [[[...1]]]}}` in msgpack, `levels` arrays deep. */
function deepMsgpackPublish(id: number, channel: string, levels: number): Buffer {
  const p = new Packr({ useRecords: false });
  return Buffer.concat([
    Buffer.from([0x82]), p.pack('id'), p.pack(id), p.pack('publish'),
    Buffer.from([0x82]), p.pack('channel'), p.pack(channel), p.pack('data'),
    Buffer.alloc(levels, 0x91), p.pack(1),
  ]);
}

async function rawApi(method: string, body: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${t.http}/api/${method}`, { method: 'POST', headers: { authorization: 'apikey test-key' }, body });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function metric(name: string): Promise<string> {
  const text = await (await fetch(`${t.http}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(name)).join('\n');
}

describe('publication data every encoding can carry', () => {
  it('deep JSON, deep msgpack and msgpack typed arrays of BigInts get error 107, and the JSON subscriber goes on', async () => {
    const sub = await connectedRaw(t.url, 'json');
    sub.send({ id: 2, subscribe: { channel: 'public:x' } });
    await sub.reply(2);

    const json = await connectedRaw(t.url, 'json');
    // A 10 KB text frame holding 5,000 levels.
    json.sendRaw(`{"id":2,"publish":{"channel":"public:x","data":${deepJson(5_000)}}}`);
    expect((await json.reply(2)).error).toMatchObject({ code: 107 });

    const mp = await connectedRaw(t.url, 'msgpack');
    mp.sendRaw(deepMsgpackPublish(2, 'public:x', 1_500));
    expect((await mp.reply(2)).error).toMatchObject({ code: 107 });
    // msgpackr's typed-array extension: a 51-byte frame that decodes into a BigInt64Array.
    const frame = moreTypes.pack({ id: 3, publish: { channel: 'public:x', data: new BigInt64Array([1n, 2n, 3n]) } });
    expect(frame.length).toBeLessThan(80);
    mp.sendRaw(frame);
    expect((await mp.reply(3)).error).toMatchObject({ code: 107 });
    mp.sendRaw(moreTypes.pack({ id: 4, publish: { channel: 'public:x', data: { when: new Date(0), tags: new Set(['a']) } } }));
    expect((await mp.reply(4)).error).toMatchObject({ code: 107, message: expect.stringMatching(/Date|Set/) });

    // Nothing was stored, and the subscriber still gets good publications.
    mp.send({ id: 5, publish: { channel: 'public:x', data: { ok: true } } });
    expect((await mp.reply(5)).publish).toEqual({});
    await until(() => sub.pushes().some((p) => (p.pub as { data?: { ok?: boolean } } | undefined)?.data?.ok === true), 'the good publication');
    const history = await api(t.http, 'history', { channel: 'public:x', limit: -1 });
    expect((history.json.result as { publications: { data: unknown }[] }).publications.map((p) => p.data)).toEqual([{ ok: true }]);
    expect(await metric('supernova_publications_refused_total')).toMatch(/reason="TOO_DEEP"\} 2/);
    expect(await metric('supernova_publications_refused_total')).toMatch(/reason="NOT_WIRE_SAFE"\} 2/);
    for (const s of [sub, json, mp]) s.close();
  });

  it('POST /api/publish and /api/broadcast refuse the same data with 400 and code 107', async () => {
    const deep = await rawApi('publish', `{"channel":"public:api","data":${deepJson(5_000)}}`);
    expect(deep.status).toBe(400);
    expect(deep.json.error).toMatchObject({ code: 107, message: expect.stringContaining('deeper') });
    const big = await api(t.http, 'publish', { channel: 'public:api', data: 'x'.repeat(70_000) });
    expect(big.status).toBe(400);
    expect(big.json.error).toMatchObject({ code: 107, message: expect.stringContaining('65536') });
    const all = await api(t.http, 'broadcast', { channels: ['public:b1', 'public:b2'], data: nested(100) });
    expect(all.status).toBe(200);
    expect((all.json.result as { responses: unknown[] }).responses).toEqual([
      { error: expect.objectContaining({ code: 107 }) }, { error: expect.objectContaining({ code: 107 }) },
    ]);
    await expect(t.engine.publish('public:api', { n: 10n })).rejects.toMatchObject({ code: 107 });
  });

  it('a publication that cannot be encoded (published past the check) costs its push, not the process', async () => {
    const js = await connectedRaw(t.url, 'json');
    const mp = await connectedRaw(t.url, 'msgpack');
    js.send({ id: 2, subscribe: { channel: 'public:poison' } });
    mp.send({ id: 2, subscribe: { channel: 'public:poison' } });
    await js.reply(2);
    await mp.reply(2);
    // The raw broker, as a pipeline would: JSON cannot encode a BigInt, msgpack can.
    await t.engine.broker.publish('public:poison', { n: 10n });
    await t.engine.broker.publish('public:poison', { after: 1 });
    await until(() => js.pushes().some((p) => p.pub), 'the next publication on JSON');
    await until(() => mp.pushes().filter((p) => p.pub).length === 2, 'both publications on msgpack');
    expect(js.pushes().filter((p) => p.pub).map((p) => (p.pub as { data: unknown }).data)).toEqual([{ after: 1 }]);
    expect(await metric('supernova_internal_errors_total')).toMatch(/where="fanout-encode-json"\} [1-9]/);
    js.close();
    mp.close();
  });

  it('a frame whose history reply cannot be encoded still answers every command: that one with 100', async () => {
    await t.engine.broker.publish('public:hist', { n: 1n });
    const s = new RawSocket(t.url, 'json');
    await s.opened;
    s.send(
      { id: 1, connect: {} },
      { id: 2, subscribe: { channel: 'public:hist' } },
      { id: 3, history: { channel: 'public:hist', limit: -1 } },
      { id: 4, rpc: { method: 'market.nope' } },
    );
    expect((await s.reply(1)).connect).toMatchObject({ client: expect.any(String) });
    expect((await s.reply(2)).subscribe).toBeDefined();
    expect((await s.reply(3)).error).toMatchObject({ code: 100 });
    expect((await s.reply(4)).error).toMatchObject({ code: 104 });
    // The server API's answer to the same read is a JSON 500, not a dropped request.
    const res = await api(t.http, 'history', { channel: 'public:hist', limit: -1 });
    expect(res.status).toBe(500);
    expect(res.json.error).toMatchObject({ code: 'INTERNAL' });
    expect(await metric('supernova_internal_errors_total')).toMatch(/where="http-write"\} [1-9]/);
    expect(await metric('supernova_internal_errors_total')).toMatch(/where="reply-encode-json"\} [1-9]/);
    s.close();
  });
});
