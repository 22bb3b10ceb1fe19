import { describe, expect, it } from 'vitest';
import { protobufCodec } from '../../src/protocol/index.js';
import { scanProtobufFrame, ProtobufScanError, type ReplySink } from './protobuf-scanner.js';
import { protobufReply } from './protobuf-commands.js';

function scan(bytes: Uint8Array) {
  const out = { publications: 0, stamps: [] as number[], pings: 0, other: [] as ReturnType<typeof protobufReply>[] };
  const sink: ReplySink = {
    push: (ts, first) => {
      if (first) out.publications++;
      out.stamps.push(ts);
    },
    ping: () => out.pings++,
    other: (buf, start, end) => out.other.push(protobufReply(buf.subarray(start, end))),
  };
  scanProtobufFrame(Buffer.from(bytes), sink);
  return out;
}

describe('protobuf frame scanner of the load client', () => {
  it('reads the stamps of publication pushes the engine encodes, and tells pings and replies apart', () => {
    const info = { client: 'c', user: 'u', conn_info: { ts: 999 } };
    const frame = protobufCodec.encode([
      { id: 2, subscribe: { recoverable: true, offset: 4, epoch: 'e' } },
      { push: { channel: 'bench:0', pub: { data: { ts: 1700000000123.5, seq: 1 }, offset: 5, info, tags: { ts: '7' } } } },
      {},
      { push: { channel: 'bench:0', pub: { data: { price: [1, 2], ts: [10, 20, 30] }, offset: 6 } } },
      { push: { channel: 'bench:0', join: { info } } },
      { push: { channel: 'bench:0', pub: { data: 'no stamps' } } },
      { id: 3, error: { code: 103, message: 'permission denied' } },
    ]);
    const out = scan(frame as Uint8Array);
    expect(out.publications).toBe(3);
    expect(out.stamps.slice(0, 4)).toEqual([1700000000123.5, 10, 20, 30]);
    expect(Number.isNaN(out.stamps[4])).toBe(true);
    expect(out.pings).toBe(1);
    expect(out.other).toEqual([
      { id: 2, subscribed: true },
      { id: 0, subscribed: false },
      { id: 3, error: { code: 103, message: 'permission denied' }, subscribed: false },
    ]);
  });

  it('throws its own error on a truncated frame', () => {
    const frame = Buffer.from(protobufCodec.encodeOne({ push: { channel: 'c', pub: { data: { ts: 1 } } } }) as Uint8Array);
    expect(() => scan(frame.subarray(0, frame.length - 2))).toThrow(ProtobufScanError);
    expect(() => scan(Buffer.from([0x80]))).toThrow(ProtobufScanError);
  });
});
