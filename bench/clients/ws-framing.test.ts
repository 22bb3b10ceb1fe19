import { describe, expect, it } from 'vitest';
import { acceptKeyFor, encodeClientFrame, FrameParser, FramingError, headEnd, Opcode, upgradeProblem } from './ws-framing.js';

/** An unmasked server frame; `lengthBits` forces the header form, as a server may choose. */
function serverFrame(opcode: number, payload: Buffer, lengthBits: 7 | 16 | 64 = payload.length < 126 ? 7 : payload.length <= 0xffff ? 16 : 64): Buffer {
  const header = lengthBits === 7 ? 2 : lengthBits === 16 ? 4 : 10;
  const out = Buffer.alloc(header + payload.length);
  out[0] = 0x80 | opcode;
  if (lengthBits === 7) out[1] = payload.length;
  else if (lengthBits === 16) {
    out[1] = 126;
    out.writeUInt16BE(payload.length, 2);
  } else {
    out[1] = 127;
    out.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  payload.copy(out, header);
  return out;
}

function collect(parser: FrameParser, chunks: Buffer[]): { opcode: number; payload: string }[] {
  const frames: { opcode: number; payload: string }[] = [];
  for (const c of chunks) parser.push(c, (opcode, data, start, end) => frames.push({ opcode, payload: data.toString('latin1', start, end) }));
  return frames;
}

describe('handshake', () => {
  it('computes the accept key of RFC 6455 section 1.3', () => {
    expect(acceptKeyFor('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('accepts a matching 101 and rejects the rest', () => {
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    const ok = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n';
    expect(upgradeProblem(ok, key)).toBeUndefined();
    expect(upgradeProblem(ok.replace('s3pP', 'XXXX'), key)).toMatch(/does not match/);
    expect(upgradeProblem('HTTP/1.1 503 Service Unavailable\r\n\r\n', key)).toMatch(/refused/);
  });

  it('finds the end of the head even with frame bytes after it', () => {
    const buf = Buffer.concat([Buffer.from('HTTP/1.1 101 OK\r\nA: b\r\n\r\n'), serverFrame(Opcode.Text, Buffer.from('{}'))]);
    expect(headEnd(buf)).toBe(25);
    expect(headEnd(Buffer.from('HTTP/1.1 101 OK\r\nA: b\r\n'))).toBe(-1);
  });
});

describe('client frames', () => {
  it('masks the payload with the given key, for each length form', () => {
    const mask = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
    // RFC 6455 section 5.7: a masked "Hello".
    expect(encodeClientFrame(Opcode.Text, Buffer.from('Hello'), mask).toString('hex')).toBe('818537fa213d7f9f4d5158');
    for (const size of [125, 126, 65_535, 65_536]) {
      const payload = Buffer.alloc(size, 0x61);
      const frame = encodeClientFrame(Opcode.Binary, payload, mask);
      const header = size < 126 ? 2 : size <= 0xffff ? 4 : 10;
      expect(frame.length).toBe(header + 4 + size);
      expect(frame[1]! & 0x80).toBe(0x80);
      const unmasked = Buffer.from(frame.subarray(header + 4));
      for (let i = 0; i < unmasked.length; i++) unmasked[i]! ^= mask[i & 3]!;
      expect(unmasked.equals(payload)).toBe(true);
    }
  });
});

describe('FrameParser', () => {
  it('reads several frames from one chunk', () => {
    const chunk = Buffer.concat([serverFrame(Opcode.Text, Buffer.from('a')), serverFrame(Opcode.Ping, Buffer.from('p')), serverFrame(Opcode.Text, Buffer.from('bc'))]);
    expect(collect(new FrameParser(), [chunk])).toEqual([
      { opcode: Opcode.Text, payload: 'a' },
      { opcode: Opcode.Ping, payload: 'p' },
      { opcode: Opcode.Text, payload: 'bc' },
    ]);
  });

  it('reassembles frames split at every byte, headers included', () => {
    const big = Buffer.alloc(300, 0x62);
    const stream = Buffer.concat([serverFrame(Opcode.Text, Buffer.from('hello')), serverFrame(Opcode.Text, big), serverFrame(Opcode.Close, Buffer.from([0x03, 0xe8]))]);
    const bytes = [...stream].map((b) => Buffer.from([b]));
    const frames = collect(new FrameParser(), bytes);
    expect(frames.map((f) => f.payload.length)).toEqual([5, 300, 2]);
    expect(frames[1]?.payload).toBe(big.toString('latin1'));
    expect(frames[2]?.opcode).toBe(Opcode.Close);
  });

  it('keeps no view of a reused read buffer across reads', () => {
    const frame = serverFrame(Opcode.Text, Buffer.from('abcdef'));
    const shared = Buffer.alloc(64);
    const parser = new FrameParser();
    const seen: string[] = [];
    frame.copy(shared, 0, 0, 5);
    parser.push(shared.subarray(0, 5), (_op, d, s, e) => seen.push(d.toString('utf8', s, e)));
    shared.fill(0x7a);
    frame.copy(shared, 0, 5);
    parser.push(shared.subarray(0, frame.length - 5), (_op, d, s, e) => seen.push(d.toString('utf8', s, e)));
    expect(seen).toEqual(['abcdef']);
    expect(parser.buffered).toBe(0);
  });

  it('reads 16-bit lengths', () => {
    const payload = Buffer.alloc(40_000, 0x63);
    const stream = serverFrame(Opcode.Binary, payload, 16);
    expect(stream[1]).toBe(126);
    const frames = collect(new FrameParser(), [stream.subarray(0, 3), stream.subarray(3, 20_000), stream.subarray(20_000)]);
    expect(frames).toHaveLength(1);
    expect(frames[0]?.payload.length).toBe(40_000);
  });

  it('reads 64-bit lengths, large and in the non-minimal form', () => {
    const large = Buffer.alloc(70_000, 0x64);
    const small = Buffer.from('tiny');
    const stream = Buffer.concat([serverFrame(Opcode.Binary, large, 64), serverFrame(Opcode.Text, small, 64)]);
    const frames = collect(new FrameParser(), [stream.subarray(0, 9), stream.subarray(9, 50_000), stream.subarray(50_000)]);
    expect(frames.map((f) => f.payload.length)).toEqual([70_000, 4]);
    expect(frames[1]?.payload).toBe('tiny');
  });

  it('refuses masked server frames, fragments and oversized frames', () => {
    const masked = encodeClientFrame(Opcode.Text, Buffer.from('x'), Buffer.from([1, 2, 3, 4]));
    expect(() => collect(new FrameParser(), [masked])).toThrow(FramingError);
    const fragment = serverFrame(Opcode.Text, Buffer.from('x'));
    fragment[0] = Opcode.Text;
    expect(() => collect(new FrameParser(), [fragment])).toThrow(/fragmented/);
    expect(() => collect(new FrameParser(100), [serverFrame(Opcode.Binary, Buffer.alloc(200))])).toThrow(/exceeds/);
  });
});
