import { describe, expect, it } from 'vitest';
import type { LineSink } from '../clients/push-scanner.js';
import { LineAssembler, LineError, scanSseLines } from './stream-lines.js';

function collector(): { stamps: number[]; others: string[]; sink: LineSink } {
  const stamps: number[] = [];
  const others: string[] = [];
  return { stamps, others, sink: { push: (ts, first) => { if (first) stamps.push(ts); }, ping: () => others.push('ping'), other: (l) => others.push(l.toString()) } };
}

/** Feeds `text` through an assembler in pieces of `size` bytes; returns each handed-over region. */
function assemble(text: string, size: number): string[] {
  const regions: string[] = [];
  const a = new LineAssembler((buf, start, end) => regions.push(buf.toString('utf8', start, end)));
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; at += size) {
    const piece = Buffer.concat([Buffer.from('\n\n'), bytes.subarray(at, at + size), Buffer.from('\n\n')]);
    a.push(piece, 2, piece.length - 2);
  }
  return regions;
}

describe('line assembler', () => {
  it('hands over whole lines only, each exactly once, however the reads split them', () => {
    const text = '{"a":1}\n{"b":22}\n{"c":333}\n';
    for (const size of [1, 2, 3, 5, 8, 9, 100]) {
      const regions = assemble(`${text}{"partial"`, size);
      expect(regions.join('')).toBe(text);
      expect(regions.every((r) => r.endsWith('\n'))).toBe(true);
    }
  });

  it('bounds the unfinished line it keeps', () => {
    const a = new LineAssembler(() => {}, 8);
    a.push(Buffer.from('12345'), 0, 5);
    expect(a.buffered).toBe(5);
    expect(() => a.push(Buffer.from('67890'), 0, 5)).toThrow(LineError);
  });
});

describe('SSE lines', () => {
  it('reads each data field as one message and skips blank lines, comments and other fields', () => {
    const { stamps, others, sink } = collector();
    const text = '\r\ndata: {"push":{"channel":"c","pub":{"data":{"ts":12.5,"seq":0}}}}\n\n: comment\nevent: x\n'
      + 'data:{"push":{"channel":"c","pub":{"data":{"ts":13,"seq":1}}}}\r\n\r\ndata: {"id":2,"subscribe":{}}\n\n';
    const buf = Buffer.from(text);
    scanSseLines(buf, sink, 0, buf.length);
    expect(stamps).toEqual([12.5, 13]);
    expect(others).toEqual(['{"id":2,"subscribe":{}}']);
  });
});
