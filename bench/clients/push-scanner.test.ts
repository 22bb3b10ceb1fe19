import { describe, expect, it } from 'vitest';
import { readNumber, scanTextFrame, type LineSink } from './push-scanner.js';
import { FrameParser, Opcode } from './ws-framing.js';

interface Scanned {
  /** One per publication (the calls with `first`). */
  publications: number;
  /** Every timestamp reported, in order. */
  stamps: number[];
  pings: number;
  other: string[];
}

function recorder(): { out: Scanned; sink: LineSink } {
  const out: Scanned = { publications: 0, stamps: [], pings: 0, other: [] };
  const sink: LineSink = {
    push: (ts, first) => {
      if (first) out.publications++;
      out.stamps.push(ts);
    },
    ping: () => out.pings++,
    other: (l) => out.other.push(l.toString()),
  };
  return { out, sink };
}

function scan(text: string): Scanned {
  const { out, sink } = recorder();
  scanTextFrame(Buffer.from(text), sink);
  return out;
}

/** A `ticks:` publication line as the engine sends it: the trades as columns, one stamp per trade. */
function ticksLine(trades: { price: number; size: number; ts: number }[], offset = 42): string {
  const data = { price: trades.map((t) => t.price), size: trades.map((t) => t.size), ts: trades.map((t) => t.ts) };
  return JSON.stringify({ push: { channel: 'ticks:SPY', pub: { data, offset } } });
}

const trades = [
  { price: 168.1, size: 100, ts: 1381152600123 },
  { price: 168.11, size: 200, ts: 1381152600125 },
  { price: 168.09, size: 50, ts: 1381152600125.5 },
];

describe('scanTextFrame', () => {
  it('tells pushes, pings and replies apart in one frame', () => {
    const push = JSON.stringify({ push: { channel: 'bench:0', pub: { data: { ts: 1732659480123.456, seq: 7 } } } });
    const r = scan(`{"id":1,"connect":{"client":"c"}}\n{}\n${push}\n${push}`);
    expect(r.pings).toBe(1);
    expect(r.other).toEqual(['{"id":1,"connect":{"client":"c"}}']);
    expect(r.publications).toBe(2);
    expect(r.stamps).toHaveLength(2);
    expect(r.stamps[0]).toBeCloseTo(1732659480123.456, 3);
  });

  it('stays inside the given range and sees a ping before a newline', () => {
    const push = '{"push":{"channel":"bench:1","pub":{"data":{"ts":5.25,"seq":1}}}}';
    const frame = Buffer.from(`XX{}\n${push}YY`);
    const { out, sink } = recorder();
    scanTextFrame(frame, sink, 2, frame.length - 2);
    expect(out).toEqual({ publications: 1, stamps: [5.25], pings: 1, other: [] });
  });

  it('reports every trade of a ticks publication, as one publication', () => {
    const r = scan(`${ticksLine(trades)}\n{}`);
    expect(r.publications).toBe(1);
    expect(r.stamps).toEqual([1381152600123, 1381152600125, 1381152600125.5]);
    expect(r.pings).toBe(1);
    expect(r.other).toEqual([]);
  });

  it('reads a one-trade column and a column followed by more keys', () => {
    const r = scan('{"push":{"channel":"ticks:A","pub":{"data":{"price":[1],"size":[2],"ts":[7]},"offset":1}}}\n{"push":{"channel":"x","pub":{"data":{"ts":[1.5,2],"n":3}}}}');
    expect(r.publications).toBe(2);
    expect(r.stamps).toEqual([7, 1.5, 2]);
  });

  it('reports a publication without a timestamp once, as NaN', () => {
    const r = scan('{"push":{"channel":"bars:1s:SPY","pub":{"data":{"open":1,"close":2},"offset":3}}}\n{}');
    expect(r.publications).toBe(1);
    expect(r.stamps).toEqual([Number.NaN]);
    expect(r.pings).toBe(1);
  });

  it('reads the stamps of a group split into publications, and of a frame split across reads', () => {
    // More than 1,000 trades of one symbol go out as several publications, one per line.
    const many = Array.from({ length: 1001 }, (_, i) => ({ price: 168 + i / 100, size: i + 1, ts: 1381152600000 + i }));
    const text = `${ticksLine(many.slice(0, 1000), 7)}\n${ticksLine(many.slice(1000), 8)}`;
    const payload = Buffer.from(text);
    const frame = Buffer.alloc(10 + payload.length);
    frame[0] = 0x80 | Opcode.Text;
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(payload.length), 2);
    payload.copy(frame, 10);
    const { out, sink } = recorder();
    const parser = new FrameParser();
    for (let at = 0; at < frame.length; at += 1000) parser.push(frame.subarray(at, at + 1000), (_op, data, start, end) => scanTextFrame(data, sink, start, end));
    expect(out.publications).toBe(2);
    expect(out.stamps).toEqual(many.map((t) => t.ts));
    expect(out.other).toEqual([]);
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
