import fc from 'fast-check';
import { fromJs, lit, obj, toJson, toMsgpack, type WireValue } from './wire-value.js';
import { extBytes, handExtArb, msgpackrTypeArb, rawMsgpack, type ExtForm } from './msgpack-ext.js';
import { bigString, bytesFrom, stringUnits } from './expand.js';
import { protobufFrameArbs } from './protobuf-frames.js';

export type Encoding = 'json' | 'msgpack' | 'protobuf';
export type FrameKind =
  | 'valid' | 'mutated' | 'multi' | 'deep' | 'wide' | 'ext' | 'msgpackr-types' | 'ext-sweep'
  | 'random-bytes' | 'truncated' | 'invalid-utf8' | 'wrong-opcode' | 'oversize'
  | 'pb-valid' | 'pb-mutated' | 'pb-truncated' | 'pb-length' | 'pb-wire-type' | 'pb-deep' | 'pb-random' | 'pb-text';

/** One WebSocket message of the fuzz, with what the sender should wait for. */
export interface FuzzFrame {
  kind: FrameKind;
  /** What the frame holds beyond its kind (an ext type, a depth), for the figures and a report. */
  detail: string;
  encoding: Encoding;
  data: string | Buffer;
  /** The WebSocket opcode: binary or text. */
  binary: boolean;
  /** Ids of its commands: each must get a reply, or the socket must be closed. */
  ids: number[];
  /** Its first command is a connect: it goes to a socket that has not connected yet. */
  fresh: boolean;
}

/** Channels fuzz commands name most of the time: every namespace the engine has, and a few it has not. */
export const POOL = [
  'fuzz:a', 'fuzz:b', 'fuzz:c', 'fuzz:quiet', 'public:x', 'healthy:stream', 'ticks:AAPL', 'market:AAPL',
  'bars:1s:AAPL', 'metrics', 'sentiment:AAPL', 'user#1', 'private:x', 'nope:x', 'fuzz:', '',
] as const;
/** Channels clients may publish into (namespace `fuzz` of the fuzz engine, and `public`). */
export const PUBLISHABLE = ['fuzz:a', 'fuzz:b', 'fuzz:c', 'fuzz:quiet', 'public:x'] as const;

const METHODS = ['connect', 'subscribe', 'unsubscribe', 'publish', 'presence', 'presence_stats', 'history', 'rpc', 'refresh', 'sub_refresh', 'send'] as const;
type Method = (typeof METHODS)[number];

/** A command before it is written: its parts, so a mutation can change any of them. */
interface Cmd {
  id: WireValue | undefined;
  method: string | undefined;
  request: WireValue | undefined;
  extra: [string, WireValue][];
}

const toValue = (c: Cmd): WireValue => ({
  t: 'obj',
  entries: [
    ...(c.id ? [['id', c.id] as [string, WireValue]] : []),
    ...(c.method !== undefined ? [[c.method, c.request ?? obj({})] as [string, WireValue]] : []),
    ...c.extra,
  ],
});

const idOf = (c: Cmd): number | undefined =>
  c.id?.t === 'lit' && typeof c.id.v === 'number' && Number.isInteger(c.id.v) && c.id.v > 0 && c.id.v <= 0xffffffff ? c.id.v : undefined;

// ---------------------------------------------------------------- values

// Mostly well under the 64 KiB frame limit; JSON's escapes (\u0000 is six bytes) take some over it.
const hugeStringArb = fc.record({
  unit: fc.constantFrom(...stringUnits),
  bytes: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 256, max: 4096 }) }, { weight: 1, arbitrary: fc.integer({ min: 4096, max: 60_000 }) }),
}).map(({ unit, bytes }) => lit(bigString(unit, bytes)));

const oddStringArb = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), maxLength: 4 }),
);

/** Small values, with the numbers and keys JSON and msgpack disagree on or that tempt a prototype. */
const smallValueArb: fc.Arbitrary<WireValue> = fc.oneof(
  { weight: 6, arbitrary: fc.jsonValue({ maxDepth: 3 }).map(fromJs) },
  { weight: 1, arbitrary: oddStringArb.map(lit) },
  { weight: 1, arbitrary: fc.constantFrom(-0, 1e308, -1e308, 5e-324, 2 ** 53 + 2, -(2 ** 63), 2 ** 64, Number.NaN, Number.POSITIVE_INFINITY).map(lit) },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'toJSON', 'hasOwnProperty').map((k) => ({ t: 'obj', entries: [[k, obj({ polluted: lit(true), toString: lit(1) })]] }) as WireValue) },
);

/** A value of another kind than a field expects. */
const wrongTypeArb: fc.Arbitrary<WireValue> = fc.oneof(
  fc.constantFrom<WireValue>(lit(null), lit(true), lit(-1), lit(1.5), lit(''), lit('0'), { t: 'arr', items: [] }, obj({}), lit(2 ** 32), lit(-(2 ** 53))),
  smallValueArb,
);

const channelArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(...POOL) },
  { weight: 2, arbitrary: fc.string({ maxLength: 24 }).map((s) => `fuzz:${s}`) },
  { weight: 1, arbitrary: oddStringArb },
);
const publishChannelArb = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...PUBLISHABLE) }, { weight: 1, arbitrary: channelArb });

// ---------------------------------------------------------------- valid commands

const str = (max: number) => fc.string({ maxLength: max }).map(lit);
const fakeToken = fc.oneof(
  fc.string({ minLength: 1, maxLength: 200 }),
  fc.tuple(fc.base64String({ maxLength: 40 }), fc.base64String({ maxLength: 80 }), fc.base64String({ maxLength: 43 })).map((p) => p.join('.')),
).map(lit);

function request(fields: Record<string, fc.Arbitrary<WireValue>>, required: string[]): fc.Arbitrary<WireValue> {
  return fc.record(fields, { requiredKeys: required }).map((r) => obj(r as Record<string, WireValue>));
}

const requestArbs: Record<Method, fc.Arbitrary<WireValue>> = {
  connect: request({ name: str(64), version: str(64), data: smallValueArb, token: fakeToken }, []),
  subscribe: request({
    channel: channelArb.map(lit), recover: fc.boolean().map(lit), epoch: str(64), offset: fc.nat(2000).map(lit),
    data: smallValueArb, positioned: fc.boolean().map(lit), recoverable: fc.boolean().map(lit), join_leave: fc.boolean().map(lit),
  }, ['channel']),
  unsubscribe: request({ channel: channelArb.map(lit) }, ['channel']),
  publish: request({ channel: publishChannelArb.map(lit), data: smallValueArb }, ['channel', 'data']),
  presence: request({ channel: channelArb.map(lit) }, ['channel']),
  presence_stats: request({ channel: channelArb.map(lit) }, ['channel']),
  history: request({
    channel: channelArb.map(lit), limit: fc.integer({ min: -1, max: 200 }).map(lit), reverse: fc.boolean().map(lit),
    since: fc.record({ offset: fc.nat(2000).map(lit), epoch: str(64) }).map((r) => obj(r)),
  }, ['channel']),
  rpc: request({
    method: fc.constantFrom('market.snapshot', 'market.bars', 'nope', '').map(lit),
    data: fc.oneof(
      fc.record({ symbol: fc.constantFrom('AAPL', 'MSFT', 'NOPE', '').map(lit), interval: fc.constantFrom('1s', '1m', 'x').map(lit), limit: fc.integer({ min: -5, max: 2000 }).map(lit) }, { requiredKeys: ['symbol'] }).map((r) => obj(r as Record<string, WireValue>)),
      smallValueArb,
    ),
  }, []),
  refresh: request({ token: fakeToken }, ['token']),
  sub_refresh: request({ channel: channelArb.map(lit), token: fakeToken }, ['channel', 'token']),
  send: request({ data: smallValueArb }, ['data']),
};

const idArb = fc.integer({ min: 1, max: 2 ** 31 });

/** A command as the protocol wants it (a pong, `{}`, now and then). */
const validCmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 20, arbitrary: fc.constantFrom(...METHODS).chain((m) => fc.tuple(idArb, requestArbs[m]).map(([id, request]): Cmd => ({ id: m === 'send' ? undefined : lit(id), method: m, request, extra: [] }))) },
  { weight: 1, arbitrary: fc.constant<Cmd>({ id: undefined, method: undefined, request: undefined, extra: [] }) },
);

// ---------------------------------------------------------------- mutations

type Mutation = (c: Cmd) => Cmd;
const entriesOf = (v: WireValue | undefined): [string, WireValue][] => (v?.t === 'obj' ? v.entries : []);

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.oneof(fc.constantFrom<WireValue | undefined>(undefined, lit(-1), lit(0), lit(2 ** 32), lit(2 ** 53 + 2), lit(1.5), lit('1'), lit(null), { t: 'arr', items: [] }), hugeStringArb)
    .map((id): Mutation => (c) => ({ ...c, id })),
  fc.tuple(fc.nat(), wrongTypeArb).map(([i, v]): Mutation => (c) => {
    const e = entriesOf(c.request);
    if (e.length === 0) return { ...c, request: v };
    const k = i % e.length;
    return { ...c, request: { t: 'obj', entries: e.map((x, j) => (j === k ? [x[0], v] : x)) } };
  }),
  fc.nat().map((i): Mutation => (c) => {
    const e = entriesOf(c.request);
    return { ...c, request: { t: 'obj', entries: e.filter((_, j) => j !== i % Math.max(1, e.length)) } };
  }),
  fc.tuple(fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'flag', 'delta', 'toString'), fc.string({ maxLength: 12 })), smallValueArb, fc.boolean())
    .map(([k, v, top]): Mutation => (c) => (top ? { ...c, extra: [...c.extra, [k, v]] } : { ...c, request: { t: 'obj', entries: [...entriesOf(c.request), [k, v]] } })),
  fc.tuple(fc.nat(), hugeStringArb).map(([i, v]): Mutation => (c) => {
    const e = entriesOf(c.request);
    if (e.length === 0) return { ...c, request: obj({ channel: v }) };
    const k = i % e.length;
    return { ...c, request: { t: 'obj', entries: e.map((x, j) => (j === k ? [x[0], v] : x)) } };
  }),
  fc.constantFrom<WireValue>(lit('subscribe'), lit(42), lit(null), { t: 'arr', items: [lit(1)] }).map((request): Mutation => (c) => ({ ...c, request })),
  fc.oneof(fc.constantFrom('subscrbe', 'Publish', '', 'pong', '__proto__', 'constructor', 'ping'), fc.string({ maxLength: 10 })).map((method): Mutation => (c) => ({ ...c, method })),
  fc.constantFrom(...METHODS).map((m): Mutation => (c) => ({ ...c, extra: [...c.extra, [m, obj({ channel: lit('fuzz:a') })]] })),
);

const mutatedCmdArb: fc.Arbitrary<Cmd> = fc.tuple(validCmdArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }))
  .map(([c, ms]) => ms.reduce((acc, m) => m(acc), c));

// ---------------------------------------------------------------- frames

function write(encoding: Encoding, values: WireValue[]): string | Buffer {
  return encoding === 'json' ? values.map(toJson).join('\n') : Buffer.concat(values.map(toMsgpack));
}

function frameOf(kind: FrameKind, encoding: Encoding, cmds: Cmd[], detail = ''): FuzzFrame {
  const data = write(encoding, cmds.map(toValue));
  return {
    kind, detail, encoding, data, binary: encoding === 'msgpack',
    ids: cmds.map(idOf).filter((id): id is number => id !== undefined),
    fresh: cmds[0]?.method === 'connect',
  };
}

const encodingArb = fc.constantFrom<Encoding>('json', 'msgpack');

const validFrameArb = fc.tuple(encodingArb, validCmdArb).map(([e, c]) => frameOf('valid', e, [c]));
const mutatedFrameArb = fc.tuple(encodingArb, mutatedCmdArb).map(([e, c]) => frameOf('mutated', e, [c]));

const multiFrameArb = fc.tuple(
  encodingArb,
  fc.array(fc.oneof({ weight: 3, arbitrary: validCmdArb }, { weight: 1, arbitrary: mutatedCmdArb }), { minLength: 2, maxLength: 20 }),
  fc.constantFrom('\n', '\r\n', '\n\n'),
  fc.boolean(),
).map(([e, cmds, separator, garbage]) => {
  const f = frameOf('multi', e, cmds, `${cmds.length} commands`);
  // JSON lines may be split by blank lines or CRLF; a line that is no JSON spoils the frame.
  if (e === 'json') f.data = cmds.map((c) => toJson(toValue(c))).join(separator) + (garbage ? '\nnot json' : '');
  return f;
});

/** Where a value goes in a command: usually a publication's data, but any field will do. */
type Slot = 'publish' | 'rpc' | 'send' | 'connect' | 'subscribe' | 'history-since' | 'channel' | 'id' | 'top';
const slotArb = fc.constantFrom<Slot>('publish', 'publish', 'publish', 'publish', 'rpc', 'send', 'connect', 'subscribe', 'history-since', 'channel', 'id', 'top');

function carrying(slot: Slot, v: WireValue, id: number, channel: string): Cmd[] {
  const ch = lit(channel);
  switch (slot) {
    case 'publish': return [{ id: lit(id), method: 'subscribe', request: obj({ channel: ch }), extra: [] }, { id: lit(id + 1), method: 'publish', request: obj({ channel: ch, data: v }), extra: [] }];
    case 'rpc': return [{ id: lit(id), method: 'rpc', request: obj({ method: lit('market.snapshot'), data: v }), extra: [] }];
    case 'send': return [{ id: undefined, method: 'send', request: obj({ data: v }), extra: [] }];
    case 'connect': return [{ id: lit(id), method: 'connect', request: obj({ data: v }), extra: [] }];
    case 'subscribe': return [{ id: lit(id), method: 'subscribe', request: obj({ channel: ch, data: v }), extra: [] }];
    case 'history-since': return [{ id: lit(id), method: 'history', request: obj({ channel: ch, since: v }), extra: [] }];
    case 'channel': return [{ id: lit(id), method: 'publish', request: obj({ channel: v, data: lit(1) }), extra: [] }];
    case 'id': return [{ id: v, method: 'presence', request: obj({ channel: ch }), extra: [] }];
    case 'top': return [{ id: lit(id), method: 'publish', request: v, extra: [] }];
  }
}

const carrierArb = fc.record({ slot: slotArb, id: idArb, channel: fc.constantFrom(...PUBLISHABLE) });

const depthArb = fc.oneof(fc.integer({ min: 10, max: 200 }), fc.integer({ min: 200, max: 3000 }), fc.integer({ min: 3000, max: 10_000 }));
const deepFrameArb = fc.tuple(encodingArb, carrierArb, depthArb, fc.constantFrom<'arr' | 'obj'>('arr', 'obj'), fc.constantFrom<WireValue>(lit(1), lit('x'), obj({}), { t: 'arr', items: [] }))
  .map(([e, c, depth, container, leaf]) => frameOf('deep', e, carrying(c.slot, { t: 'deep', depth, container, leaf }, c.id, c.channel), `${container} depth ${depth} in ${c.slot}`));

const wideFrameArb = fc.tuple(encodingArb, carrierArb, fc.integer({ min: 100, max: 8000 }), fc.constantFrom('ints', 'keys', 'objects', 'strings'))
  .map(([e, c, n, shape]) => {
    const v: WireValue = shape === 'keys'
      ? { t: 'obj', entries: Array.from({ length: n }, (_, i) => [`k${i}`, lit(i)] as [string, WireValue]) }
      : { t: 'arr', items: Array.from({ length: n }, (_, i) => (shape === 'ints' ? lit(i) : shape === 'strings' ? lit(`s${i}`) : obj({}))) };
    return frameOf('wide', e, carrying(c.slot, v, c.id, c.channel), `${n} ${shape} in ${c.slot}`);
  });

const extFrameArb = fc.tuple(carrierArb, handExtArb)
  .map(([c, x]) => frameOf('ext', 'msgpack', carrying(c.slot, rawMsgpack(x.bytes), c.id, c.channel), `type ${x.type} in ${c.slot}`));

const msgpackrTypesFrameArb = fc.tuple(carrierArb, msgpackrTypeArb, fc.boolean())
  .map(([c, x, wrapped]) => {
    const v = rawMsgpack(x.bytes);
    return frameOf('msgpackr-types', 'msgpack', carrying(c.slot, wrapped ? { t: 'obj', entries: [['v', v]] } : v, c.id, c.channel), `${x.label} in ${c.slot}`);
  });

const randomBytesFrameArb = fc.tuple(encodingArb, fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.record({ seed: fc.integer(), n: fc.integer({ min: 0, max: 4000 }) }).map(({ seed, n }) => bytesFrom(seed, n))), fc.boolean(), fc.boolean())
  .map(([e, bytes, binary, mapHead]): FuzzFrame => ({
    kind: 'random-bytes', detail: `${bytes.length} bytes`, encoding: e, binary,
    data: Buffer.from(mapHead ? Uint8Array.from([0x82, 0xa2, 0x69, 0x64, 0x01, ...bytes]) : bytes), ids: [], fresh: false,
  }));

const truncatedFrameArb = fc.tuple(fc.oneof(validFrameArb, multiFrameArb, deepFrameArb, extFrameArb, msgpackrTypesFrameArb), fc.double({ min: 0, max: 1, noNaN: true }))
  .map(([f, at]): FuzzFrame => {
    const bytes = Buffer.from(f.data);
    const cut = Math.max(1, Math.min(bytes.length - 1, Math.floor(bytes.length * at)));
    return { ...f, kind: 'truncated', detail: `${cut} of ${bytes.length} bytes of ${f.kind}`, data: bytes.subarray(0, cut), ids: [], fresh: false };
  });

const invalidUtf8 = [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]];
const invalidUtf8FrameArb = fc.tuple(validFrameArb.filter((f) => f.encoding === 'json'), fc.nat(), fc.constantFrom(...invalidUtf8))
  .map(([f, at, bad]): FuzzFrame => {
    const bytes = Buffer.from(f.data);
    const i = at % (bytes.length + 1);
    return { ...f, kind: 'invalid-utf8', detail: Buffer.from(bad).toString('hex'), data: Buffer.concat([bytes.subarray(0, i), Buffer.from(bad), bytes.subarray(i)]), binary: false };
  });

/** JSON sent as a binary frame, msgpack as a text frame. */
const wrongOpcodeFrameArb = validFrameArb.map((f): FuzzFrame => ({ ...f, kind: 'wrong-opcode', detail: f.binary ? 'msgpack as text' : 'json as binary', data: Buffer.from(f.data), binary: !f.binary }));

const oversizeFrameArb = fc.tuple(encodingArb, idArb, fc.integer({ min: 65_537, max: 200_000 }), fc.constantFrom(...stringUnits))
  .map(([e, id, bytes, unit]) => frameOf('oversize', e, [{ id: lit(id), method: 'publish', request: obj({ channel: lit('fuzz:a'), data: lit(bigString(unit, bytes)) }), extra: [] }], `${bytes} bytes`));

/** One fuzz frame; the weights keep about half of them parseable, so the engine gets past its decoder. */
export const fuzzFrameArb: fc.Arbitrary<FuzzFrame> = fc.oneof(
  { weight: 50, arbitrary: validFrameArb },
  { weight: 40, arbitrary: mutatedFrameArb },
  { weight: 16, arbitrary: multiFrameArb },
  { weight: 20, arbitrary: deepFrameArb },
  { weight: 12, arbitrary: wideFrameArb },
  { weight: 24, arbitrary: extFrameArb },
  { weight: 16, arbitrary: msgpackrTypesFrameArb },
  { weight: 10, arbitrary: randomBytesFrameArb },
  { weight: 8, arbitrary: truncatedFrameArb },
  { weight: 4, arbitrary: invalidUtf8FrameArb },
  { weight: 4, arbitrary: wrongOpcodeFrameArb },
  { weight: 1, arbitrary: oversizeFrameArb },
  // The protobuf encoding's own frames (protobuf-frames.ts), on protobuf sockets.
  { weight: 50, arbitrary: protobufFrameArbs(POOL, PUBLISHABLE) },
);

/**
 * Every ext type byte (-128..127) in publications, in three framings, with payloads that are
 * the same for every run: random draws alone would leave some types untried in a short run.
 */
export function extSweep(): FuzzFrame[] {
  const out: FuzzFrame[] = [];
  const forms: [ExtForm, number][] = [['fixext1', 1], ['fixext8', 8], ['ext8', 9]];
  for (let type = 0; type < 256; type++) {
    for (const [form, len] of forms) {
      const payload = bytesFrom(type * 31 + len, len);
      // The first payload byte of a typed array names its kind: walk through all of them.
      payload[0] = (type + len) % 18;
      const id = 1000 + type * 4 + len;
      const channel = PUBLISHABLE[type % PUBLISHABLE.length] ?? 'fuzz:a';
      out.push(frameOf('ext-sweep', 'msgpack', carrying('publish', obj({ v: rawMsgpack(extBytes(type, form, payload)) }), id, channel), `type ${type} ${form}`));
    }
  }
  return out;
}
