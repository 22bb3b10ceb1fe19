import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect as tcpConnect, type Socket } from 'node:net';
import { constants as zlibConstants, createInflateRaw } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { Centrifuge as ProtobufCentrifuge } from 'centrifuge/build/protobuf';
import { startEngine, type TestEngine } from '../support/engine.js';
import { connected, sdkClient, subscribed, until } from '../support/client.js';
import { encodeClientFrame } from '../../bench/clients/ws-framing.js';
import { largePublications, marketSnapshots } from '../../bench/bandwidth/payloads.js';

interface WireFrame { rsv1: boolean; opcode: number; payload: Buffer; text?: string }

/**
 * A WebSocket client by hand over TCP, so the frames the server sends are seen as they are on
 * the wire: the RSV1 bit that marks a compressed message, and its compressed bytes.
 */
class WireClient {
  readonly frames: WireFrame[] = [];
  extensions = '';
  private buf = Buffer.alloc(0);
  private upgraded = false;
  private readonly socket: Socket;
  readonly ready: Promise<void>;
  /** One inflater for the connection: with a dedicated compressor frames refer to earlier ones. */
  private readonly inflater = createInflateRaw();
  private inflating: Promise<void> = Promise.resolve();

  constructor(port: number, offer: string | null) {
    this.socket = tcpConnect(port, '127.0.0.1');
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.once('connect', () => {
        const key = randomBytes(16).toString('base64');
        this.socket.write(`GET /connection/websocket HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
          + `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${offer ? `Sec-WebSocket-Extensions: ${offer}\r\n` : ''}\r\n`);
      });
      this.socket.on('data', (chunk: Buffer) => {
        this.buf = Buffer.concat([this.buf, chunk]);
        if (!this.upgraded) {
          const end = this.buf.indexOf('\r\n\r\n');
          if (end === -1) return;
          const head = this.buf.subarray(0, end).toString();
          if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(head));
          this.extensions = /sec-websocket-extensions: *([^\r\n]*)/i.exec(head)?.[1] ?? '';
          this.buf = this.buf.subarray(end + 4);
          this.upgraded = true;
          resolve();
        }
        this.parse();
      });
    });
  }

  private parse(): void {
    for (;;) {
      if (this.buf.length < 2) return;
      const b0 = this.buf[0] ?? 0;
      let len = (this.buf[1] ?? 0) & 0x7f;
      let at = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        at = 10;
      }
      if (this.buf.length < at + len) return;
      const frame: WireFrame = { rsv1: (b0 & 0x40) !== 0, opcode: b0 & 0x0f, payload: Buffer.from(this.buf.subarray(at, at + len)) };
      this.frames.push(frame);
      this.buf = this.buf.subarray(at + len);
      // In order: a compressed frame is inflated (RFC 7692: with 00 00 ff ff appended) after the ones before it.
      this.inflating = this.inflating.then(async () => {
        frame.text = frame.rsv1 ? await this.inflate(frame.payload) : frame.payload.toString();
      });
    }
  }

  send(command: object): void {
    this.socket.write(encodeClientFrame(1, Buffer.from(JSON.stringify(command)), randomBytes(4)));
  }

  private inflate(payload: Buffer): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const onData = (c: Buffer) => chunks.push(c);
      this.inflater.on('data', onData);
      this.inflater.once('error', reject);
      this.inflater.write(Buffer.concat([payload, Buffer.from([0, 0, 0xff, 0xff])]));
      this.inflater.flush(zlibConstants.Z_SYNC_FLUSH, () => {
        this.inflater.off('data', onData);
        this.inflater.off('error', reject);
        resolve(Buffer.concat(chunks).toString());
      });
    });
  }

  static text(f: WireFrame): string {
    return f.text ?? '';
  }

  async frameWith(needle: string): Promise<WireFrame> {
    await until(() => this.frames.some((f) => WireClient.text(f).includes(needle)), `a frame with ${needle}`);
    return this.frames.find((f) => WireClient.text(f).includes(needle)) as WireFrame;
  }

  close(): void {
    this.inflater.destroy();
    this.socket.destroy();
  }
}

const DEFLATE_OFFER = 'permessage-deflate; client_max_window_bits';

async function wireSubscriber(t: TestEngine, channel: string, offer: string | null = DEFLATE_OFFER): Promise<WireClient> {
  const c = new WireClient(t.port, offer);
  await c.ready;
  c.send({ id: 1, connect: {} });
  await c.frameWith('"id":1');
  c.send({ id: 2, subscribe: { channel } });
  await c.frameWith('"id":2');
  return c;
}

const large = largePublications();
const market = marketSnapshots();

describe.each(['shared', 'dedicated'] as const)('WebSocket compression %s', (mode) => {
  let t: TestEngine;
  beforeAll(async () => { t = await startEngine({ wsCompression: mode, wsCompressionMinBytes: 200, maxFrameBytes: 64 * 1024 }); });
  afterAll(async () => { await t.stop(); });

  it('is negotiated, compresses publications over the minimum on the wire and leaves shorter frames alone', async () => {
    const c = await wireSubscriber(t, 'market:W');
    expect(c.extensions).toMatch(/permessage-deflate/);
    // The connect and subscribe replies are under 200 bytes: sent as they are.
    expect(c.frames.every((f) => !f.rsv1)).toBe(true);
    const big = large();
    await t.engine.publish('market:W', big);
    const frame = await c.frameWith('"bids"');
    expect(frame.rsv1).toBe(true);
    const text = WireClient.text(frame);
    expect(JSON.parse(text).push.pub.data).toEqual(big);
    expect(frame.payload.length).toBeLessThan(text.length / 3);
    await t.engine.publish('market:W', { tiny: 1 });
    const small = await c.frameWith('"tiny"');
    expect(small.rsv1).toBe(false);
    c.close();
  });

  it('a client that does not offer deflate gets every frame uncompressed from the same publication', async () => {
    const plain = await wireSubscriber(t, 'market:M', null);
    const deflating = await wireSubscriber(t, 'market:M');
    expect(plain.extensions).toBe('');
    const big = large();
    await t.engine.publish('market:M', big);
    const [p, d] = await Promise.all([plain.frameWith('"bids"'), deflating.frameWith('"bids"')]);
    expect(p.rsv1).toBe(false);
    expect(d.rsv1).toBe(true);
    expect(JSON.parse(WireClient.text(p))).toEqual(JSON.parse(WireClient.text(d)));
    plain.close();
    deflating.close();
  });

  it('the centrifuge-js SDK over ws (which offers deflate) receives large and small publications intact, and fewer bytes cross the wire', async () => {
    const c = sdkClient(t.url);
    await connected(c);
    const sub = await subscribed(c, 'market:SDK');
    const got: unknown[] = [];
    sub.on('publication', (ctx) => got.push(ctx.data));
    const sent = [...Array.from({ length: 20 }, () => large()), ...Array.from({ length: 50 }, () => market())];
    for (const data of sent) await t.engine.publish('market:SDK', data);
    await until(() => got.length === sent.length, 'every publication');
    expect(got).toEqual(sent);
    // The SDK's own socket: what it read off TCP against the JSON it decoded.
    const transport = (c as unknown as { _transport: { _transport: WebSocket } })._transport._transport;
    expect(transport.extensions).toMatch(/permessage-deflate/);
    const wire = (transport as unknown as { _socket: Socket })._socket.bytesRead;
    const json = sent.reduce((n, d) => n + JSON.stringify(d).length, 0);
    expect(wire).toBeLessThan(json / 2);
    c.disconnect();
  });

  it('the protobuf SDK gets its binary frames compressed too', async () => {
    const c = new ProtobufCentrifuge(t.url, { websocket: WebSocket, minReconnectDelay: 50, maxReconnectDelay: 200 });
    await new Promise<void>((resolve) => { c.once('connected', () => resolve()); c.connect(); });
    const sub = c.newSubscription('market:PB');
    const got: unknown[] = [];
    sub.on('publication', (ctx) => got.push(JSON.parse(new TextDecoder().decode(ctx.data as Uint8Array))));
    await new Promise<void>((resolve) => { sub.once('subscribed', () => resolve()); sub.subscribe(); });
    const sent = Array.from({ length: 10 }, () => large());
    for (const data of sent) await t.engine.publish('market:PB', data);
    await until(() => got.length === sent.length, 'every protobuf publication');
    expect(got).toEqual(sent);
    const transport = (c as unknown as { _transport: { _transport: WebSocket } })._transport._transport;
    expect(transport.protocol).toBe('centrifuge-protobuf');
    expect(transport.extensions).toMatch(/permessage-deflate/);
    const json = sent.reduce((n, d) => n + JSON.stringify(d).length, 0);
    expect((transport as unknown as { _socket: Socket })._socket.bytesRead).toBeLessThan(json / 2);
    c.disconnect();
  });

  it('a compressed inbound frame that inflates past the frame limit closes that socket only', async () => {
    const bomb = new WebSocket(t.url, { perMessageDeflate: { threshold: 0 } });
    await new Promise((r) => bomb.once('open', r));
    expect(bomb.extensions).toMatch(/permessage-deflate/);
    const closed = new Promise<number>((resolve) => bomb.once('close', (code) => resolve(code)));
    bomb.on('error', () => {});
    // 8 MiB of one byte is 8 KiB deflated: far under the limit on the wire, far over it inflated.
    bomb.send(JSON.stringify({ id: 1, connect: { data: 'a'.repeat(8 * 1024 * 1024) } }));
    expect([1006, 1009]).toContain(await closed);
    const c = sdkClient(t.url);
    await connected(c);
    c.disconnect();
  });
});

describe('WebSocket compression off (the default)', () => {
  let t: TestEngine;
  beforeAll(async () => { t = await startEngine({}); });
  afterAll(async () => { await t.stop(); });

  it('is not negotiated even when the client offers it', async () => {
    expect(t.engine.config.wsCompression).toBe('off');
    const c = await wireSubscriber(t, 'market:O');
    expect(c.extensions).toBe('');
    await t.engine.publish('market:O', large());
    const frame = await c.frameWith('"bids"');
    expect(frame.rsv1).toBe(false);
    c.close();
  });
});
