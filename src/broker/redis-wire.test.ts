import { describe, expect, it } from 'vitest';
import { JsonBytes, msgpackCodec } from '../protocol/index.js';
import { packPublication, parseNodeMessage, syncMarker, unpackPublication } from './redis-wire.js';

describe('publications on the Redis wire', () => {
  it("keep a protobuf client's exact JSON bytes across nodes, and plain values as values", () => {
    const sent = Buffer.from('{"b": 1,  "a": [ 2 ]}');
    const back = unpackPublication(packPublication({ data: JsonBytes.copyOf(sent) }), 7);
    expect(back.offset).toBe(7);
    expect(back.data).toBeInstanceOf(JsonBytes);
    expect(Buffer.from(back.data as JsonBytes).equals(sent)).toBe(true);
    expect((back.data as JsonBytes).value).toEqual({ b: 1, a: [2] });
    expect(unpackPublication(packPublication({ data: { b: 1 } })).data).toEqual({ b: 1 });
  });

  it('go to msgpack clients as the value the bytes hold', () => {
    const frame = msgpackCodec.encodeOne({ push: { channel: 'c', pub: { data: JsonBytes.copyOf(Buffer.from('{"x": [1, "y"]}')) } } } as never);
    expect(msgpackCodec.decode(frame as Uint8Array)).toEqual([{ push: { channel: 'c', pub: { data: { x: [1, 'y'] } } } }]);
  });
});

describe('sync markers on the Redis wire', () => {
  it('come back as the token that was sent, and never as a publication', () => {
    expect(parseNodeMessage(syncMarker('4f1c-token'))).toEqual({ kind: 'sync', token: '4f1c-token' });
    expect(parseNodeMessage(Buffer.from('x-unknown'))).toBeUndefined();
  });
});
