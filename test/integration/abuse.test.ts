import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, type TestEngine } from '../support/engine.js';
import { connectedRaw, RawSocket } from '../support/raw-socket.js';
import { until } from '../support/client.js';

let t: TestEngine;

/** A protobuf varint, for frames written by hand. */
function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) { out.push((n & 0x7f) | 0x80); n >>>= 7; }
  out.push(n);
  return Buffer.from(out);
}
beforeAll(async () => {
  t = await startEngine({
    apiKey: 'test-key', maxFrameBytes: 4096, maxBackpressureBytes: 64 * 1024,
    commandsPerSecond: 20, commandBurst: 20, mailboxLimit: 8, pingIntervalMs: 1000, pongTimeoutMs: 300,
  });
});
afterAll(async () => { await t.stop(); });

describe('bad input and slow clients', () => {
  it('speaks msgpack on the centrifuge-msgpack subprotocol, several commands per frame, replies batched', async () => {
    const s = await connectedRaw(t.url, 'msgpack');
    expect(s.ws.protocol).toBe('centrifuge-msgpack');
    s.send({ id: 2, subscribe: { channel: 'public:mp' } }, { id: 3, rpc: { method: 'market.nope' } });
    const sub = await s.reply(2);
    expect(sub.subscribe).toMatchObject({ recoverable: true, offset: 0 });
    expect((await s.reply(3)).error).toMatchObject({ code: 104 });
    await t.engine.publish('public:mp', { price: 1.5, tags: ['x'] });
    await until(() => s.pushes().some((p) => p.pub), 'msgpack publication');
    expect(s.pushes().find((p) => p.pub)).toEqual({ channel: 'public:mp', pub: { data: { price: 1.5, tags: ['x'] }, offset: 1 } });
    s.close();
  });

  it('speaks protobuf on centrifuge-protobuf: several commands per frame, a subscriber gets each publication as JSON bytes', async () => {
    const s = await connectedRaw(t.url, 'protobuf');
    expect(s.ws.protocol).toBe('centrifuge-protobuf');
    s.send({ id: 2, subscribe: { channel: 'public:pb' } }, { id: 3, rpc: { method: 'market.nope' } });
    expect((await s.reply(2)).subscribe).toMatchObject({ recoverable: true });
    expect((await s.reply(3)).error).toMatchObject({ code: 104 });
    await t.engine.publish('public:pb', { price: 1.5, tags: ['x'] });
    await until(() => s.pushes().some((p) => p.pub), 'protobuf publication');
    const pub = s.pushes().find((p) => p.pub)?.pub as { data: string; offset: string };
    expect(Buffer.from(pub.data, 'base64').toString()).toBe('{"price":1.5,"tags":["x"]}');
    expect(pub.offset).toBe('1');
    s.close();
  });

  it('hostile protobuf frames get disconnect 3501 and the server goes on', async () => {
    const filterChain = (levels: number): Buffer => {
      let tf = Buffer.from([0x12, 0x01, 0x6b]); // FilterNode { key: 'k' }
      for (let i = 0; i < levels; i++) tf = Buffer.concat([Buffer.from([0x32]), varint(tf.length), tf]);
      const sub = Buffer.concat([Buffer.from([0x0a, 0x01, 0x63, 0x6a]), varint(tf.length), tf]);
      const cmd = Buffer.concat([Buffer.from([0x08, 0x02, 0x2a]), varint(sub.length), sub]);
      return Buffer.concat([varint(cmd.length), cmd]);
    };
    const hostile: [string, Buffer][] = [
      ['a truncated varint', Buffer.from([0x80, 0x80])],
      ['a length past the frame', Buffer.from([0x7f, 0x08, 0x02])],
      ['a huge length', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x08])],
      ['a wrong wire type for subscribe', Buffer.from([0x04, 0x08, 0x02, 0x28, 0x01])],
      ['a filter tree nested 1000 deep', filterChain(1000)],
      ['garbage', Buffer.from('this is not protobuf at all, just text in a binary frame')],
      ['a JSON command on the protobuf subprotocol', Buffer.from('{"id":2,"presence":{"channel":"public:x"}}')],
    ];
    for (const [what, bytes] of hostile) {
      const s = await connectedRaw(t.url, 'protobuf');
      s.sendRaw(bytes);
      expect(await s.closed, what).toBe(3501);
    }
    // A frame over the size limit is refused as on the other encodings.
    const big = await connectedRaw(t.url, 'protobuf');
    big.sendRaw(Buffer.concat([varint(5000), Buffer.alloc(5000, 0x08)]));
    expect(await big.closed).toBe(1009);
    await serverGoesOn();
  });

  it('a malformed frame gets disconnect 3501', async () => {
    const s = await connectedRaw(t.url);
    s.sendRaw('{"id":2,"subscribe":');
    expect(await s.closed).toBe(3501);
    const s2 = await connectedRaw(t.url);
    s2.send({ id: 2, subscribe: { channel: 42 } });
    expect(await s2.closed).toBe(3501);
  });

  /** An rpc command frame of exactly `bytes` bytes (JSON text). */
  function rpcFrame(id: number, bytes: number): string {
    const empty = JSON.stringify({ id, rpc: { method: 'market.nope', data: '' } });
    return JSON.stringify({ id, rpc: { method: 'market.nope', data: 'x'.repeat(bytes - empty.length) } });
  }

  async function serverGoesOn(): Promise<void> {
    const ok = await connectedRaw(t.url);
    ok.send({ id: 2, subscribe: { channel: 'public:after' } });
    expect((await ok.reply(2)).subscribe).toBeDefined();
    ok.close();
  }

  it('a frame over SUPERNOVA_MAX_FRAME_BYTES is refused with close 1009, one at the limit is read', async () => {
    const at = await connectedRaw(t.url);
    at.sendRaw(rpcFrame(2, 4096));
    expect((await at.reply(2)).error).toMatchObject({ code: 104 });
    at.sendRaw(rpcFrame(3, 4097));
    expect(await at.closed).toBe(1009);
    expect(at.closeReason).toBe('message too big (limit 4096 bytes)');

    const mp = await connectedRaw(t.url, 'msgpack');
    mp.sendRaw(Buffer.alloc(10_000, 0xc0));
    expect(await mp.closed).toBe(1009);

    // The limit is on the message: fragments each under it that add up to more are refused too.
    const frag = await connectedRaw(t.url);
    frag.ws.send('[' + ' '.repeat(3000), { fin: false });
    frag.ws.send(' '.repeat(3000) + ']', { fin: true });
    expect(await frag.closed).toBe(1009);
    await serverGoesOn();
  });

  it('a frame far over the limit is dropped at its header without a close frame (1006), and the server goes on', async () => {
    // uWebSockets.js refuses a frame over its native limit (SUPERNOVA_MAX_FRAME_BYTES + 64 KiB)
    // by closing the TCP socket before reading it; no close frame can be sent from there.
    const s = await connectedRaw(t.url);
    s.sendRaw(rpcFrame(2, 4096 + 64 * 1024 + 1));
    expect(await s.closed).toBe(1006);
    await serverGoesOn();
  });

  it('invalid UTF-8 in a text frame closes the socket (1006: uWebSockets.js cannot send 1007), valid UTF-8 is read', async () => {
    const s = await connectedRaw(t.url);
    s.sendRaw(JSON.stringify({ id: 2, rpc: { method: 'prix en €, ünïcödé, 株価' } }));
    expect((await s.reply(2)).error).toMatchObject({ code: 108 });
    // uWebSockets.js validates text frames before any handler sees them, and on failure closes
    // the TCP socket at once (no close frame, so not the 1007 RFC 6455 asks for).
    s.ws.send(Buffer.from('{"id":3,"rpc":{"method":"\xff\xfe"}}', 'latin1'), { binary: false });
    expect(await s.closed).toBe(1006);
    await serverGoesOn();
  });

  it('a flood of commands gets error 111 past the rate, and a flood of frames disconnects with 3013', async () => {
    const s = await connectedRaw(t.url);
    // One frame of 40 commands: the first ones within the burst run, the rest are refused in order.
    s.send(...Array.from({ length: 40 }, (_, i) => ({ id: 10 + i, rpc: { method: 'market.unknown' } })));
    const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => s.reply(10 + i)));
    const codes = replies.map((r) => (r.error as { code: number }).code);
    expect(codes.filter((c) => c === 104).length).toBeGreaterThan(0);
    expect(codes.filter((c) => c === 111).length).toBeGreaterThan(0);
    expect(codes.lastIndexOf(104)).toBeLessThan(codes.indexOf(111));
    // Then frames faster than the actor can take them: the bounded mailbox overflows.
    for (let i = 0; i < 500 && s.closeCode === undefined; i++) s.send({ id: 100 + i, history: { channel: 'public:flood' } });
    expect(await s.closed).toBe(3013);
  });

  it('a client that stops reading is disconnected as a slow consumer (3008) and can reconnect', async () => {
    const s = await connectedRaw(t.url);
    s.send({ id: 2, subscribe: { channel: 'public:slow' } });
    await s.reply(2);
    const socket = (s.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    // Enough to overflow the kernel's loopback buffers too (autotuning lets them absorb several
    // MB), well before the unanswered pings would end the connection with 3012 instead.
    const blob = 'y'.repeat(8000);
    for (let i = 0; i < 4000 && t.engine.connections > 0; i++) await t.engine.publish('public:slow', { i, blob });
    socket.resume();
    expect(await s.closed).toBe(3008);
    const again = await connectedRaw(t.url);
    again.send({ id: 2, subscribe: { channel: 'public:slow', recover: true, offset: 0, epoch: '' } });
    expect((await again.reply(2)).subscribe).toMatchObject({ recoverable: true });
    again.close();
  });

  it('a client that does not answer pings gets 3012; one that never connects gets 3502', async () => {
    const silent = new RawSocket(t.url);
    await silent.opened;
    silent.send({ id: 1, connect: {} });
    const reply = await silent.reply(1);
    expect(reply.connect).toMatchObject({ ping: 1, pong: true });
    expect(await silent.closed).toBe(3012);

    const idle = new RawSocket(t.url);
    await idle.opened;
    expect(await idle.closed).toBe(3502);
  });

  it('a client that answers pings stays connected', async () => {
    const s = new RawSocket(t.url);
    await s.opened;
    s.send({ id: 1, connect: {} });
    await s.reply(1);
    s.ws.on('message', (data) => { if (data.toString() === '{}') s.sendRaw('{}'); });
    await new Promise((r) => setTimeout(r, 2600));
    expect(s.closeCode).toBeUndefined();
    expect(s.messages.filter((m) => Object.keys(m).length === 0).length).toBeGreaterThanOrEqual(2);
    s.close();
  });

  it('commands before connect are a protocol violation (3501)', async () => {
    const s = new RawSocket(t.url);
    await s.opened;
    s.send({ id: 1, subscribe: { channel: 'public:x' } });
    expect(await s.closed).toBe(3501);
  });

  it('send before connect is a protocol violation (3501) too', async () => {
    const s = new RawSocket(t.url);
    await s.opened;
    s.send({ send: { data: { hello: 1 } } });
    expect(await s.closed).toBe(3501);
    // After connect, send is accepted (and, without a handler, ignored).
    const ok = await connectedRaw(t.url);
    ok.send({ send: { data: { hello: 1 } } }, { id: 2, rpc: { method: 'market.nope' } });
    expect((await ok.reply(2)).error).toMatchObject({ code: 104 });
    expect(ok.closeCode).toBeUndefined();
    ok.close();
  });
});
