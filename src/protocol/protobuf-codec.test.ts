import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { create, fromBinary, type MessageInitShape, toBinary } from '@bufbuild/protobuf';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { CommandSchema, FilterNodeSchema, ReplySchema, type Reply } from './gen/client_pb.js';
import { protobufCodec } from './protobuf-codec.js';
import { JsonBytes } from './json-bytes.js';
import { encodePublicationPush } from './protobuf-push.js';
import { replyFromMessage } from './protobuf-reply.js';
import { MalformedFrameError } from './codec.js';
import { parseCommand } from './validate.js';
import type { ServerMessage } from './frames.js';

const enc = new TextEncoder();
const json = (v: unknown): Uint8Array => enc.encode(JSON.stringify(v));

/** Commands as the protobuf SDKs write them: each length-delimited, several per frame. */
function frame(...commands: MessageInitShape<typeof CommandSchema>[]): Uint8Array {
  const w = new BinaryWriter();
  for (const c of commands) w.bytes(toBinary(CommandSchema, create(CommandSchema, c)));
  return w.finish();
}

/** The replies of a frame the codec wrote, read back with the generated schema. */
function replies(bytes: string | Uint8Array): Reply[] {
  const r = new BinaryReader(bytes as Uint8Array);
  const out: Reply[] = [];
  while (r.pos < r.len) out.push(fromBinary(ReplySchema, r.bytes()));
  return out;
}

const decoded = (bytes: Uint8Array) => protobufCodec.decode(bytes).map(parseCommand);

function malformed(bytes: Uint8Array): string {
  try {
    decoded(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(MalformedFrameError);
    return (err as Error).message;
  }
  throw new Error('the frame was accepted');
}

describe('protobuf codec: commands in', () => {
  it('decodes every method into the JSON-shaped command, data bytes as the JSON they hold (publish data keeps its exact bytes too)', () => {
    const cmds = decoded(frame(
      { id: 1, connect: { token: 't', data: json({ a: 1 }), name: 'dart', subs: { 'public:x': { recover: true, offset: 5n, epoch: 'e' } } } },
      { id: 2, subscribe: { channel: 'public:x', recover: true, offset: 0n, epoch: 'ep', joinLeave: true, flag: 2n, tf: { op: 'and', nodes: [{ key: 'k', cmp: 'eq', val: 'v' }] } } },
      { id: 3, publish: { channel: 'public:x', data: json(0) } },
      { id: 4, history: { channel: 'public:x', limit: -1, since: { offset: 3n, epoch: 'e' }, reverse: true } },
      { id: 5, rpc: { method: 'm', data: json(false) } },
      { id: 6, presence: { channel: 'c' } }, { id: 7, presenceStats: { channel: 'c' } }, { id: 8, unsubscribe: { channel: 'c' } },
      { id: 9, refresh: { token: 'r' } }, { id: 10, subRefresh: { channel: 'c', token: 's' } },
      { send: { data: json({ hello: true }) } },
      {},
    ));
    expect(cmds).toEqual([
      { id: 1, connect: { token: 't', data: { a: 1 }, name: 'dart', subs: { 'public:x': { recover: true, offset: 5, epoch: 'e' } } } },
      { id: 2, subscribe: { channel: 'public:x', recover: true, offset: 0, epoch: 'ep', join_leave: true, flag: 2 } },
      { id: 3, publish: { channel: 'public:x', data: expect.any(JsonBytes) } },
      { id: 4, history: { channel: 'public:x', limit: -1, since: { offset: 3, epoch: 'e' }, reverse: true } },
      { id: 5, rpc: { method: 'm', data: false } },
      { id: 6, presence: { channel: 'c' } }, { id: 7, presence_stats: { channel: 'c' } }, { id: 8, unsubscribe: { channel: 'c' } },
      { id: 9, refresh: { token: 'r' } }, { id: 10, sub_refresh: { channel: 'c', token: 's' } },
      { id: 0, send: { data: { hello: true } } },
      { id: 0, pong: true },
    ]);
    const published = (cmds[2] as { publish: { data: JsonBytes } }).publish.data;
    expect(published.value).toBe(0);
    expect([...published]).toEqual([...json(0)]);
  });

  it('data that is not JSON stays bytes, for the publish check to refuse', () => {
    const [cmd] = decoded(frame({ id: 1, publish: { channel: 'c', data: new Uint8Array([0xff, 1]) } }));
    expect((cmd as { publish: { data: unknown } }).publish.data).toEqual(new Uint8Array([0xff, 1]));
  });

  it('refuses what a JSON command would be refused for: no method with an id, two methods, empty channel', () => {
    expect(malformed(frame({ id: 3 }))).toMatch(/no method/);
    expect(malformed(frame({ id: 3, presence: { channel: 'a' }, history: { channel: 'a' } }))).toMatch(/one method/);
    expect(malformed(frame({ id: 3, presence: {} }))).toMatch(/channel/);
    expect(malformed(frame({ id: 3, publish: { channel: 'c' } }))).toMatch(/data is required/);
  });
});

describe('protobuf codec: hostile frames are MalformedFrameError, never another error', () => {
  it('a truncated length varint, a length past the frame, a huge length', () => {
    expect(malformed(new Uint8Array([0x80]))).toMatch(/invalid protobuf/);
    expect(malformed(new Uint8Array([0x80, 0x80, 0x80]))).toMatch(/invalid protobuf/);
    expect(malformed(new Uint8Array([0x05, 0x08]))).toMatch(/5 bytes in a frame with 1 left/);
    expect(malformed(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x08, 0x01]))).toMatch(/invalid protobuf/);
    // A varint of eleven bytes is no varint.
    expect(malformed(new Uint8Array([...new Array(11).fill(0xff), 0x01]))).toMatch(/invalid protobuf/);
  });

  it('a truncated message, a wrong wire type for a known field, an invalid tag', () => {
    const ok = frame({ id: 2, subscribe: { channel: 'public:abc' } });
    expect(malformed(ok.subarray(0, ok.length - 3))).toMatch(/invalid protobuf/);
    const wrongType = new BinaryWriter().bytes(new BinaryWriter().tag(4, WireType.Varint).uint32(1).finish()).finish();
    expect(malformed(wrongType)).toMatch(/invalid protobuf/);
    // Field number 0 does not exist.
    expect(malformed(new Uint8Array([0x02, 0x00, 0x00]))).toMatch(/invalid protobuf/);
  });

  it('deep nesting (a filter tree, nested unknown groups) is refused by depth, without exhausting the stack', () => {
    // Built by hand: the library's own create() would recurse as deep as the tree.
    let tf = toBinary(FilterNodeSchema, create(FilterNodeSchema, { key: 'k' }));
    for (let i = 0; i < 5000; i++) tf = new BinaryWriter().tag(6, WireType.LengthDelimited).bytes(tf).finish();
    const subscribe = new BinaryWriter().tag(1, WireType.LengthDelimited).string('c').tag(13, WireType.LengthDelimited).bytes(tf).finish();
    const command = new BinaryWriter().tag(1, WireType.Varint).uint32(1).tag(5, WireType.LengthDelimited).bytes(subscribe).finish();
    expect(malformed(new BinaryWriter().bytes(command).finish())).toMatch(/recursion/);
    const groups = new BinaryWriter();
    for (let i = 0; i < 20_000; i++) groups.tag(99, WireType.StartGroup);
    for (let i = 0; i < 20_000; i++) groups.tag(99, WireType.EndGroup);
    expect(malformed(new BinaryWriter().bytes(groups.finish()).finish())).toMatch(/invalid protobuf/);
  });

  it('unknown subscribe flag bits, high and negative ones included, are ignored', () => {
    const [a, b] = decoded(frame({ id: 1, subscribe: { channel: 'c', flag: (1n << 62n) | 2n } }, { id: 2, subscribe: { channel: 'c', flag: -1n } }));
    expect((a as { subscribe: { flag: number } }).subscribe.flag).toBe(2);
    expect((b as { subscribe: { flag: number } }).subscribe.flag).toBe(2 ** 53 - 1);
  });

  it('64-bit offsets past 2^53 are refused, not rounded', () => {
    expect(malformed(frame({ id: 1, history: { channel: 'c', since: { offset: 2n ** 60n, epoch: 'e' } } }))).toMatch(/out of range/);
  });

  it('random bytes and mutated valid frames: a command list or MalformedFrameError, nothing else', () => {
    const valid = frame({ id: 1, connect: { token: 'abc', data: json({ a: [1, 2] }) } }, { id: 2, subscribe: { channel: 'public:x', recover: true, offset: 3n } }, { id: 3, publish: { channel: 'public:x', data: json({ p: 1 }) } });
    const mutated = fc.array(fc.record({ at: fc.nat(valid.length - 1), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 8 }).map((edits) => {
      const b = valid.slice();
      for (const e of edits) b[e.at] = e.byte;
      return b;
    });
    const frames = fc.oneof(fc.uint8Array({ maxLength: 512 }), mutated, fc.nat(valid.length).map((n) => valid.slice(0, n)));
    fc.assert(fc.property(frames, (bytes) => {
      try {
        decoded(bytes);
      } catch (err) {
        if (!(err instanceof MalformedFrameError)) throw err;
      }
    }), { numRuns: 3000 });
  });
});

describe('protobuf codec: replies and pushes out', () => {
  it('writes each message length-delimited; data as JSON bytes, offsets as uint64', () => {
    const messages: ServerMessage[] = [
      { id: 1, connect: { client: 'c1', version: '1.0', ping: 25, pong: true, subs: { 'user#1': { recoverable: true, offset: 4, epoch: 'e' } } } },
      { id: 2, error: { code: 103, message: 'permission denied' } },
      { id: 3, presence_stats: { num_clients: 2, num_users: 1 } },
      { id: 4, history: { publications: [{ data: { n: 1 }, offset: 7 }], offset: 7, epoch: 'e' } },
      { id: 5, rpc: { data: 'text' } },
      { id: 6, presence: { presence: { c1: { client: 'c1', user: 'u', conn_info: { role: 'x' } } } } },
      {},
    ];
    const out = replies(protobufCodec.encode(messages));
    expect(out).toHaveLength(7);
    expect(out[0]?.connect).toMatchObject({ client: 'c1', version: '1.0', ping: 25, pong: true });
    expect(out[0]?.connect?.subs['user#1']).toMatchObject({ recoverable: true, offset: 4n, epoch: 'e' });
    expect(out[1]?.error).toMatchObject({ code: 103, message: 'permission denied', temporary: false });
    expect(out[2]?.presenceStats).toMatchObject({ numClients: 2, numUsers: 1 });
    expect(out[3]?.history?.publications[0]?.offset).toBe(7n);
    expect(new TextDecoder().decode(out[3]?.history?.publications[0]?.data)).toBe('{"n":1}');
    expect(new TextDecoder().decode(out[4]?.rpc?.data)).toBe('"text"');
    expect(new TextDecoder().decode(out[5]?.presence?.presence.c1?.connInfo)).toBe('{"role":"x"}');
    // The ping is an empty Reply: one zero length byte.
    expect(protobufCodec.encodeOne({})).toEqual(new Uint8Array([0]));
  });

  it('pushes: pub with info and tags, join, unsubscribe, message, disconnect, server-side subscribe', () => {
    const info = { client: 'c', user: 'u' };
    const out = replies(protobufCodec.encode([
      { push: { channel: 'ch', pub: { data: [1, 2], offset: 3, info, tags: { k: 'v' } } } },
      { push: { channel: 'ch', join: { info } } },
      { push: { channel: 'ch', unsubscribe: { code: 2000, reason: 'server unsubscribe' } } },
      { push: { message: { data: { hi: 1 } } } },
      { push: { disconnect: { code: 3001, reason: 'shutdown', reconnect: true } } },
      { push: { channel: 'ch', subscribe: { recoverable: true, offset: 1, epoch: 'e' } } },
    ]));
    expect(out.map((r) => r.id)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(out[0]?.push?.pub).toMatchObject({ offset: 3n, tags: { k: 'v' }, info: { client: 'c', user: 'u' } });
    expect(new TextDecoder().decode(out[0]?.push?.pub?.data)).toBe('[1,2]');
    expect(out[1]?.push?.join?.info?.user).toBe('u');
    expect(out[2]?.push?.unsubscribe).toMatchObject({ code: 2000, reason: 'server unsubscribe' });
    expect(new TextDecoder().decode(out[3]?.push?.message?.data)).toBe('{"hi":1}');
    expect(out[4]?.push?.disconnect).toMatchObject({ code: 3001, reconnect: true });
    expect(out[5]?.push?.subscribe).toMatchObject({ recoverable: true, offset: 1n, epoch: 'e' });
  });
});

describe('protobuf codec: the direct path of publication pushes', () => {
  it('writes the same bytes as the generated path, for any publication', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 20 });
    const info = fc.record({ client: text, user: text, conn_info: fc.jsonValue({ maxDepth: 2 }), chan_info: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: ['client', 'user'] });
    const pub = fc.record({
      // A delta subscriber's data is the patch's bytes, with delta set.
      data: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.uint8Array({ maxLength: 40 })),
      offset: fc.oneof(fc.nat(), fc.constantFrom(0, 127, 128, 16_383, 16_384, 2 ** 32, Number.MAX_SAFE_INTEGER)),
      info,
      tags: fc.dictionary(text, text, { maxKeys: 4 }),
      delta: fc.boolean(),
    }, { requiredKeys: ['data'] });
    fc.assert(fc.property(fc.oneof(text, fc.constant('')), pub, (channel, p) => {
      const generic = new BinaryWriter().bytes(toBinary(ReplySchema, replyFromMessage({ push: { channel, pub: p } }))).finish();
      expect(new Uint8Array(encodePublicationPush(channel, p))).toEqual(generic);
    }), { numRuns: 2000 });
  });

  it('is what the codec uses for pushes, alone and among other messages', () => {
    const pub = { data: { ts: 1 }, offset: 9 };
    const one = protobufCodec.encodeOne({ push: { channel: 'ch', pub } });
    expect(replies(one)[0]?.push?.pub?.offset).toBe(9n);
    const mixed = replies(protobufCodec.encode([{ id: 4, publish: {} }, { push: { channel: 'ch', pub } }, {}]));
    expect(mixed.map((r) => [r.id, r.push?.channel ?? '', r.publish !== undefined])).toEqual([[4, '', true], [0, 'ch', false], [0, '', false]]);
  });
});

