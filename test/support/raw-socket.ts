import WebSocket from 'ws';
import { Packr } from 'msgpackr';
import { fromBinary, fromJson, type JsonValue, toBinary, toJson } from '@bufbuild/protobuf';
import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';
import { CommandSchema, ReplySchema } from '../../src/protocol/gen/client_pb.js';

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

export type RawEncoding = 'json' | 'msgpack' | 'protobuf';

/**
 * A protocol client by hand, for what the SDK will not send: malformed frames, floods, msgpack,
 * a client that stops reading.
 */
export class RawSocket {
  readonly messages: Record<string, unknown>[] = [];
  closeCode: number | undefined;
  closeReason = '';
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;

  constructor(url: string, readonly encoding: RawEncoding = 'json') {
    this.ws = new WebSocket(url, encoding === 'json' ? [] : [`centrifuge-${encoding}`]);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => {
      this.ws.once('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        resolve(code);
      });
    });
    this.ws.on('message', (data: Buffer, isBinary) => {
      if (encoding === 'protobuf') {
        // Replies in the protobuf JSON mapping with the proto field names (bytes in base64, uint64 as strings).
        const r = new BinaryReader(new Uint8Array(data));
        while (r.pos < r.len) this.messages.push(toJson(ReplySchema, fromBinary(ReplySchema, r.bytes()), { useProtoFieldName: true }) as Record<string, unknown>);
      } else if (encoding === 'msgpack') {
        if (!isBinary) throw new Error('msgpack connection got a text frame');
        for (const m of packr.unpackMultiple(data) ?? []) this.messages.push(m as Record<string, unknown>);
      } else {
        for (const line of data.toString().split('\n')) if (line) this.messages.push(JSON.parse(line) as Record<string, unknown>);
      }
    });
    this.ws.on('error', () => {});
  }

  /** Commands as objects; on protobuf in the protobuf JSON mapping (data as base64). */
  send(...commands: unknown[]): void {
    if (this.encoding === 'protobuf') {
      const w = new BinaryWriter();
      for (const c of commands) w.bytes(toBinary(CommandSchema, fromJson(CommandSchema, c as JsonValue)));
      this.ws.send(w.finish());
    } else if (this.encoding === 'msgpack') this.ws.send(Buffer.concat(commands.map((c) => packr.pack(c))));
    else this.ws.send(commands.map((c) => JSON.stringify(c)).join('\n'));
  }

  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  async reply(id: number, timeoutMs = 5000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find((m) => m.id === id);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no reply to command ${id}; got ${JSON.stringify(this.messages).slice(0, 500)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  pushes(): Record<string, unknown>[] {
    return this.messages.filter((m) => m.push !== undefined).map((m) => m.push as Record<string, unknown>);
  }

  close(): void {
    this.ws.terminate();
  }
}

/** A raw socket that has completed connect (command id 1). */
export async function connectedRaw(url: string, encoding: RawEncoding = 'json'): Promise<RawSocket> {
  const s = new RawSocket(url, encoding);
  await s.opened;
  s.send({ id: 1, connect: {} });
  await s.reply(1);
  return s;
}
