import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { fromJs, toMsgpack, type WireValue } from './wire-value.js';
import { bytesFrom } from './expand.js';

/** How an ext value is framed: the fixed sizes, or a length byte/word/dword before the type. */
export type ExtForm = 'fixext1' | 'fixext2' | 'fixext4' | 'fixext8' | 'fixext16' | 'ext8' | 'ext16' | 'ext32';
const fixed: Record<string, [number, number]> = { fixext1: [0xd4, 1], fixext2: [0xd5, 2], fixext4: [0xd6, 4], fixext8: [0xd7, 8], fixext16: [0xd8, 16] };

/** An ext value by hand: any type byte (0..255, that is -128..127) with the payload given. */
export function extBytes(type: number, form: ExtForm, payload: Uint8Array): Uint8Array {
  const f = fixed[form];
  if (f) {
    const body = new Uint8Array(f[1]);
    body.set(payload.subarray(0, f[1]));
    return Uint8Array.from([f[0], type & 0xff, ...body]);
  }
  const n = payload.length;
  const head = form === 'ext8' ? [0xc7, n & 0xff]
    : form === 'ext16' ? [0xc8, (n >> 8) & 0xff, n & 0xff]
      : [0xc9, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  const len = form === 'ext8' ? n & 0xff : form === 'ext16' ? n & 0xffff : n;
  return Uint8Array.from([...head, type & 0xff, ...payload.subarray(0, len)]);
}

export const extForms: readonly ExtForm[] = ['fixext1', 'fixext2', 'fixext4', 'fixext8', 'fixext16', 'ext8', 'ext16', 'ext32'];

/** A hand-built ext value; sometimes a msgpack value follows it (msgpackr's Error, Set, RegExp and id extensions read one). */
export const handExtArb: fc.Arbitrary<{ type: number; bytes: Uint8Array }> = fc.record({
  type: fc.integer({ min: 0, max: 255 }),
  form: fc.constantFrom(...extForms),
  len: fc.oneof(fc.integer({ min: 0, max: 17 }), fc.integer({ min: 0, max: 600 })),
  seed: fc.integer(),
  follow: fc.option(fc.jsonValue({ maxDepth: 2 }), { freq: 3 }),
}).map(({ type, form, len, seed, follow }) => {
  const payload = bytesFrom(seed, len);
  const ext = extBytes(type, form, payload);
  if (follow === null) return { type, bytes: ext };
  const next = toMsgpack(fromJs(follow));
  return { type, bytes: Uint8Array.from([...ext, ...next]) };
});

const plainPackr = new Packr({ useRecords: false, moreTypes: true });
const recordPackr = new Packr({ useRecords: true });
const clonePackr = new Packr({ useRecords: false, structuredClone: true });
const bundlePackr = new Packr({ useRecords: false, bundleStrings: true });

const typedArrays = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
] as const;

/** A typed array of any kind (BigInt64Array included) over the given bytes. */
function typedArray(kind: number, bytes: Uint8Array): ArrayBufferView {
  const Ctor = typedArrays[kind % typedArrays.length] ?? Uint8Array;
  const n = Math.floor(bytes.length / Ctor.BYTES_PER_ELEMENT);
  return new Ctor(bytes.slice(0, n * Ctor.BYTES_PER_ELEMENT).buffer);
}

/** What msgpackr itself writes for values JSON has no word for, labelled for the figures. */
export const msgpackrTypeArb: fc.Arbitrary<{ label: string; bytes: Uint8Array }> = fc.oneof(
  fc.record({ kind: fc.integer({ min: 0, max: typedArrays.length - 1 }), seed: fc.integer(), len: fc.integer({ min: 0, max: 64 }) })
    .map(({ kind, seed, len }) => ({ label: typedArrays[kind]?.name ?? 'typed', bytes: plainPackr.pack(typedArray(kind, bytesFrom(seed, len * 8))) })),
  fc.record({ seed: fc.integer(), len: fc.integer({ min: 0, max: 64 }), view: fc.boolean() })
    .map(({ seed, len, view }) => {
      const buffer = bytesFrom(seed, len).slice().buffer;
      return { label: view ? 'DataView' : 'ArrayBuffer', bytes: plainPackr.pack(view ? new DataView(buffer) : buffer) };
    }),
  fc.oneof(fc.date({ noInvalidDate: true }), fc.constant(new Date(Number.NaN)), fc.constant(new Date(8.64e15)))
    .map((d) => ({ label: 'Date', bytes: safePack(plainPackr, d) })),
  fc.array(fc.tuple(fc.oneof(fc.string(), fc.integer(), fc.constant({ k: 1 }), fc.constant(null)), fc.jsonValue({ maxDepth: 1 })), { maxLength: 8 })
    .map((entries) => ({ label: 'Map', bytes: plainPackr.pack(new Map<unknown, unknown>(entries)) })),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 8 }).map((items) => ({ label: 'Set', bytes: plainPackr.pack(new Set(items)) })),
  fc.tuple(fc.constantFrom(Error, TypeError, RangeError, SyntaxError), fc.string(), fc.jsonValue({ maxDepth: 1 }))
    .map(([E, message, cause]) => ({ label: 'Error', bytes: plainPackr.pack(new E(message, { cause })) })),
  fc.constantFrom('^(a+)+$', '.*', '[\\s\\S]{0,99999}', '(?<n>x)\\k<n>').map((src) => ({ label: 'RegExp', bytes: plainPackr.pack(new RegExp(src, 'gu')) })),
  fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }), fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }))
    .map((n) => ({ label: n >= -(2n ** 63n) && n < 2n ** 64n ? 'int64' : 'BigInt', bytes: safePack(plainPackr, n) })),
  fc.constant({ label: 'undefined', bytes: plainPackr.pack(undefined) }),
  fc.constantFrom('object', 'array', 'map', 'set').map((shape) => ({ label: `cycle-${shape}`, bytes: clonePackr.pack(cyclic(shape)) })),
  fc.jsonValue({ maxDepth: 2 }).map((v) => ({ label: 'records', bytes: recordPackr.pack({ a: v, b: [{ x: 1, y: v }, { x: 2, y: 3 }] }) })),
  fc.array(fc.string({ minLength: 4 }), { minLength: 1, maxLength: 6 }).map((words) => ({ label: 'bundled-strings', bytes: bundlePackr.pack({ words }) })),
);

function cyclic(shape: string): unknown {
  if (shape === 'array') {
    const a: unknown[] = [1];
    a.push(a);
    return a;
  }
  if (shape === 'map') {
    const m = new Map<string, unknown>();
    m.set('self', m);
    return m;
  }
  const o: Record<string, unknown> = { a: 1 };
  o.self = o;
  if (shape === 'set') return new Set([o]);
  return o;
}

/** msgpackr refuses some values (an invalid Date, a BigInt past 64 bits without its extension): then write nil. */
function safePack(packr: Packr, v: unknown): Uint8Array {
  try {
    return packr.pack(v);
  } catch {
    return Uint8Array.of(0xc0);
  }
}

/** A msgpack piece as a WireValue; JSON has no such value, so it reads as null there. */
export const rawMsgpack = (bytes: Uint8Array): WireValue => ({ t: 'raw', msgpack: bytes });
