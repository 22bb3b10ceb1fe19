import { describe, expect, it } from 'vitest';
import { StreamFrame, streamChunk, unwrapPushLines } from './stream-chunk.js';

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

describe('stream framing', () => {
  const frame = '{"push":{"channel":"a","pub":{"data":{"p":"€"}}}}\n{"id":2,"rpc":{}}';

  it('writes a JSON line per message on http_stream and an event per line on sse', () => {
    expect(streamChunk('http_stream', frame)).toBe(`${frame}\n`);
    expect(streamChunk('sse', frame)).toBe('data: {"push":{"channel":"a","pub":{"data":{"p":"€"}}}}\n\ndata: {"id":2,"rpc":{}}\n\n');
    const bytes = new Uint8Array([3, 1, 2, 3]);
    expect(streamChunk('http_stream', bytes)).toBe(bytes);
  });

  it('gives uni sessions the pushes bare, and every kind the bytes of its own framing', () => {
    expect(unwrapPushLines(frame)).toBe('{"channel":"a","pub":{"data":{"p":"€"}}}\n{"id":2,"rpc":{}}');
    const f = new StreamFrame(frame);
    expect(text(f.for('http_stream'))).toBe(`${frame}\n`);
    expect(text(f.for('sse'))).toBe(streamChunk('sse', frame));
    expect(text(f.for('uni_http_stream'))).toBe(`${unwrapPushLines(frame)}\n`);
    expect(text(f.for('uni_sse'))).toBe(streamChunk('uni_sse', unwrapPushLines(frame)));
  });

  it('frames once per kind: every session of a kind gets the same bytes', () => {
    const f = new StreamFrame(frame);
    expect(f.for('sse')).toBe(f.for('sse'));
    expect(f.for('http_stream')).not.toBe(f.for('sse'));
    const binary = new StreamFrame(new Uint8Array([1, 9]));
    expect(binary.for('http_stream')).toEqual(new Uint8Array([1, 9]));
    expect(binary.for('uni_http_stream').byteLength).toBe(0);
  });
});
