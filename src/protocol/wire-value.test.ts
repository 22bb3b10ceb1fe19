import { describe, expect, it } from 'vitest';
import { Packr } from 'msgpackr';
import { InvalidDataError, measureWireValue } from './wire-value.js';
import { msgpackCodec } from './msgpack-codec.js';
import { jsonCodec } from './json-codec.js';

const limits = { maxDepth: 64, maxBytes: 64 * 1024 };
const deep = (levels: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
};
const problem = (v: unknown, l = limits) => {
  try {
    measureWireValue(v, l);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidDataError);
    expect((err as InvalidDataError).code).toBe(107);
    return (err as InvalidDataError).problem;
  }
};

describe('measureWireValue', () => {
  it('takes plain JSON values and sizes them about as JSON does', () => {
    const v = { text: 'hello', n: [1, 2.5, -3], ok: true, none: null, nested: { a: [{ b: 'c' }] } };
    const size = measureWireValue(v, limits);
    const json = JSON.stringify(v).length;
    expect(size).toBeGreaterThan(json * 0.7);
    expect(size).toBeLessThan(json * 2);
    expect(measureWireValue(JSON.parse('{"__proto__": {"x": 1}}'), limits)).toBeGreaterThan(0);
  });

  it('refuses depth past the limit without overflowing its own stack', () => {
    expect(problem(deep(64))).toBeUndefined();
    expect(problem(deep(65))).toBe('TOO_DEEP');
    expect(problem(deep(200_000))).toBe('TOO_DEEP');
    expect(problem(JSON.parse('['.repeat(5_000) + ']'.repeat(5_000)))).toBe('TOO_DEEP');
  });

  it('refuses what msgpack decodes and JSON cannot carry', () => {
    const packr = new Packr({ useRecords: false, moreTypes: true });
    const values: unknown[] = [
      10n, new BigInt64Array([1n, 2n]), new Uint8Array([1, 2]), Buffer.from('x'), new Date(0), new Map([[1, 2]]),
      new Set([1]), /x/, new Error('e'), Number.NaN, Number.POSITIVE_INFINITY, undefined, () => 1, Symbol('s'),
    ];
    for (const v of values) expect(problem({ data: [v] }), String(v)).toBe('NOT_WIRE_SAFE');
    // The same values after a trip through the engine's msgpack decoder, as a client would send them.
    for (const v of [new BigInt64Array([1n]), new Float32Array([1]), new Date(0), new Set([1]), Buffer.from('x')]) {
      const [decoded] = msgpackCodec.decode(packr.pack({ data: v }));
      expect(problem(decoded), String(v)).toBe('NOT_WIRE_SAFE');
    }
  });

  it('refuses data over maxBytes', () => {
    expect(problem('x'.repeat(1000), { maxDepth: 64, maxBytes: 500 })).toBe('TOO_LARGE');
    expect(problem(new Array(1000).fill(0), { maxDepth: 64, maxBytes: 500 })).toBe('TOO_LARGE');
  });

  it('whatever it accepts, both wire codecs encode', () => {
    const accepted = [deep(63), { a: ['x', 1, true, null, { b: [] }] }, 'plain', 0, [[[]]]];
    for (const v of accepted) {
      measureWireValue(v, limits);
      expect(() => jsonCodec.encodeOne({ push: { channel: 'c', pub: { data: v } } })).not.toThrow();
      expect(() => msgpackCodec.encodeOne({ push: { channel: 'c', pub: { data: v } } })).not.toThrow();
    }
  });
});
