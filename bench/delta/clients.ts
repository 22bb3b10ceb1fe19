/**
 * The load side of `bench:delta`: raw WebSocket subscribers (the `ws` package) that count what
 * reaches them. Each subscribes to one `market:` channel, with `delta: 'fossil'` or without; a
 * frame's bytes are its payload plus the WebSocket header the server wrote for it.
 */
import WebSocket from 'ws';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';
import { CommandSchema, ReplySchema } from '../../src/protocol/gen/client_pb.js';

type Command =
  | { cmd: 'open'; url: string; subscribers: number; symbols: number; delta: boolean; encoding: 'json' | 'protobuf' }
  | { cmd: 'window' }
  | { cmd: 'close' };

const send = (m: unknown): void => void process.send?.(m);
let sockets: WebSocket[] = [];
let bytes = 0;
let frames = 0;
let pubs = 0;
let deltas = 0;

/** Bytes of a server-to-client frame header (unmasked) for a payload of `len` bytes. */
const headerBytes = (len: number): number => (len < 126 ? 2 : len < 65536 ? 4 : 10);

/** connect and subscribe in one protobuf frame. */
function protobufHello(channel: string, delta: boolean): Uint8Array {
  const w = new BinaryWriter();
  w.bytes(toBinary(CommandSchema, create(CommandSchema, { id: 1, connect: {} })));
  w.bytes(toBinary(CommandSchema, create(CommandSchema, { id: 2, subscribe: { channel, delta: delta ? 'fossil' : '' } })));
  return w.finish();
}

/**
 * Counts a protobuf frame's replies without decoding them (the load core must keep up with the
 * server's): each is a varint length and its bytes. The server writes a publication's `delta`
 * (field 8, tag 0x40) last, so a delta reply ends with 0x40 0x01. Before the subscribe reply
 * arrives, replies are decoded to find it (id 2).
 */
function scanProtobuf(data: Buffer, counting: boolean): boolean {
  if (!counting) {
    const r = new BinaryReader(data);
    while (r.pos < r.len) if (fromBinary(ReplySchema, r.bytes()).id === 2) return true;
    return false;
  }
  let p = 0;
  while (p < data.length) {
    let len = 0;
    let shift = 0;
    let b: number;
    do {
      b = data[p++] as number;
      len += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    pubs++;
    if (len >= 2 && data[p + len - 2] === 0x40 && data[p + len - 1] === 0x01) deltas++;
    p += len;
  }
  return false;
}

async function open(url: string, subscribers: number, symbols: number, delta: boolean, encoding: 'json' | 'protobuf'): Promise<void> {
  const batch = 200;
  for (let start = 0; start < subscribers; start += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, subscribers - start) }, (_, j) => new Promise<void>((resolve, reject) => {
      const i = start + j;
      const channel = `market:SYM${i % symbols}`;
      const ws = new WebSocket(url, encoding === 'protobuf' ? ['centrifuge-protobuf'] : []);
      ws.once('error', reject);
      ws.on('open', () => {
        if (encoding === 'protobuf') {
          ws.send(protobufHello(channel, delta));
          return;
        }
        const sub: Record<string, unknown> = { channel };
        if (delta) sub.delta = 'fossil';
        ws.send(`${JSON.stringify({ id: 1, connect: {} })}\n${JSON.stringify({ id: 2, subscribe: sub })}`);
      });
      let subscribed = false;
      ws.on('message', (data: Buffer) => {
        if (encoding === 'protobuf') {
          if (subscribed) {
            bytes += data.length + headerBytes(data.length);
            scanProtobuf(data, true);
          } else if (scanProtobuf(data, false)) {
            subscribed = true;
            resolve();
          }
          return;
        }
        const text = data.toString();
        if (!subscribed) {
          if (text.includes('"id":2')) {
            subscribed = true;
            resolve();
          }
          return;
        }
        bytes += data.length + headerBytes(data.length);
        frames++;
        // Counting, not decoding: a frame holds one push per line.
        for (let p = text.indexOf('"pub":'); p !== -1; p = text.indexOf('"pub":', p + 6)) pubs++;
        for (let p = text.indexOf('"delta":true'); p !== -1; p = text.indexOf('"delta":true', p + 12)) deltas++;
      });
      sockets.push(ws);
    })));
  }
}

process.on('message', (m: Command) => {
  if (m.cmd === 'open') {
    open(m.url, m.subscribers, m.symbols, m.delta, m.encoding).then(() => send({ opened: sockets.length }), (err: Error) => send({ failed: err.message }));
  } else if (m.cmd === 'window') {
    send({ window: { bytes, frames, pubs, deltas } });
    bytes = 0;
    frames = 0;
    pubs = 0;
    deltas = 0;
  } else if (m.cmd === 'close') {
    for (const ws of sockets) ws.terminate();
    sockets = [];
    send({ closed: true });
  }
});
send({ ready: true });
