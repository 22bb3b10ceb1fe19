import { describe, expect, it } from 'vitest';
import { ChunkedDecoder, ChunkedError } from './chunked-decoder.js';

/** Decodes `wire` fed in pieces of the given sizes (cycled); returns the body and whether it ended. */
function decode(wire: string, pieces: number[]): { body: string; done: boolean } {
  const parts: string[] = [];
  const d = new ChunkedDecoder((buf, start, end) => parts.push(buf.toString('latin1', start, end)));
  const bytes = Buffer.from(wire, 'latin1');
  let at = 0;
  for (let k = 0; at < bytes.length; k++) {
    const n = pieces[k % pieces.length] ?? 1;
    // A fresh buffer per piece, with junk around the range: only [start, end) may be read.
    const piece = Buffer.concat([Buffer.from('##'), bytes.subarray(at, at + n), Buffer.from('##')]);
    d.push(piece, 2, piece.length - 2);
    at += n;
  }
  return { body: parts.join(''), done: d.done };
}

const wire = '1a\r\n{"push":{"pub":{"ts":1}}}\n\r\n5;name=value\r\nhello\r\nA\r\n0123456789\r\n0\r\n\r\n';

describe('chunked decoder', () => {
  it('hands over the body whatever the read boundaries, size lines and chunk ends split included', () => {
    const expected = '{"push":{"pub":{"ts":1}}}\nhello0123456789';
    for (const pieces of [[wire.length], [1], [2], [3, 7], [5, 1, 11], [13]]) {
      expect(decode(wire, pieces)).toEqual({ body: expected, done: true });
    }
  });

  it('is not done before the last chunk, and reads nothing after it', () => {
    expect(decode('3\r\nabc\r\n', [4])).toEqual({ body: 'abc', done: false });
    expect(decode('3\r\nabc\r\n0\r\n\r\n3\r\nxyz\r\n', [100])).toEqual({ body: 'abc', done: true });
  });

  it('refuses malformed framing with a ChunkedError', () => {
    expect(() => decode('x\r\n', [10])).toThrow(ChunkedError);
    expect(() => decode('3\r\nabcX\r\n', [10])).toThrow(/CRLF/);
    expect(() => decode('3\nabc', [10])).toThrow(ChunkedError);
    expect(() => decode('123456789\r\n', [10])).toThrow(/too long/);
  });
});
