import { describe, expect, it } from 'vitest';
import { readNumber, scanTextFrame, type LineSink } from './push-scanner.js';

function scan(text: string): { pushes: number[]; pings: number; other: string[] } {
  const out = { pushes: [] as number[], pings: 0, other: [] as string[] };
  const sink: LineSink = { push: (ts) => out.pushes.push(ts), ping: () => out.pings++, other: (l) => out.other.push(l.toString()) };
  scanTextFrame(Buffer.from(text), sink);
  return out;
}

describe('scanTextFrame', () => {
  it('tells pushes, pings and replies apart in one frame', () => {
    const push = JSON.stringify({ push: { channel: 'bench:0', pub: { data: { ts: 1732659480123.456, seq: 7 } } } });
    const r = scan(`{"id":1,"connect":{"client":"c"}}\n{}\n${push}\n${push}`);
    expect(r.pings).toBe(1);
    expect(r.other).toEqual(['{"id":1,"connect":{"client":"c"}}']);
    expect(r.pushes).toHaveLength(2);
    expect(r.pushes[0]).toBeCloseTo(1732659480123.456, 3);
  });

  it('stays inside the given range and sees a ping before a newline', () => {
    const push = '{"push":{"channel":"bench:1","pub":{"data":{"ts":5.25,"seq":1}}}}';
    const frame = Buffer.from(`XX{}\n${push}YY`);
    const out = { pushes: [] as number[], pings: 0, other: [] as string[] };
    scanTextFrame(frame, { push: (ts) => out.pushes.push(ts), ping: () => out.pings++, other: (l) => out.other.push(l.toString()) }, 2, frame.length - 2);
    expect(out).toEqual({ pushes: [5.25], pings: 1, other: [] });
  });

  it('passes a push that is not a publication (join) on as other', () => {
    expect(scan('{"push":{"channel":"x","join":{"info":{}}}}').other).toHaveLength(1);
  });

  it('reads plain decimals', () => {
    const b = Buffer.from('x12.5,');
    expect(readNumber(b, 1, b.length)).toBe(12.5);
    expect(readNumber(Buffer.from('42}'), 0, 3)).toBe(42);
    expect(readNumber(Buffer.from('-1'), 0, 2)).toBeNaN();
  });
});
