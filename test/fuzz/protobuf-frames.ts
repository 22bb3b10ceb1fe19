import fc from 'fast-check';
import { create, type MessageInitShape, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { CommandSchema } from '../../src/protocol/gen/client_pb.js';
import type { FuzzFrame } from './frames.js';
import { bytesFrom } from './expand.js';

type CommandInit = MessageInitShape<typeof CommandSchema>;

/**
 * Frames for sockets on the protobuf encoding: valid Commands built with the generated schema,
 * then the ways a binary client goes wrong: flipped, inserted and dropped bytes, truncation,
 * length prefixes that lie, wrong wire types, deep filter trees and groups, deep JSON in data,
 * and plain garbage. Channels are passed in (frames.ts owns them), so this module has no cycle.
 */
export function protobufFrameArbs(pool: readonly string[], publishable: readonly string[]): fc.Arbitrary<FuzzFrame> {
  const enc = new TextEncoder();
  const channel = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...pool) }, { weight: 1, arbitrary: fc.string({ maxLength: 20 }) });
  const pubChannel = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...publishable) }, { weight: 1, arbitrary: channel });
  // Data is bytes: mostly JSON (what the engine keeps), sometimes not (refused with 107), sometimes empty.
  const data = fc.oneof(
    { weight: 6, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => enc.encode(JSON.stringify(v))) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) },
    { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
  );
  const id = fc.integer({ min: 1, max: 2 ** 31 });
  const u64 = fc.oneof(fc.bigInt({ min: 0n, max: 2000n }), fc.constantFrom(2n ** 53n, 2n ** 63n, 2n ** 64n - 1n));
  const token = fc.string({ maxLength: 80 });

  const command: fc.Arbitrary<CommandInit> = fc.oneof(
    fc.record({ id, connect: fc.record({ name: fc.string({ maxLength: 20 }), token, data }, { requiredKeys: [] }) }),
    fc.record({ id, subscribe: fc.record({ channel, recover: fc.boolean(), offset: u64, epoch: fc.string({ maxLength: 10 }), flag: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), delta: fc.constantFrom('', 'fossil') }, { requiredKeys: ['channel'] }) }),
    fc.record({ id, publish: fc.record({ channel: pubChannel, data }) }),
    fc.record({ id, history: fc.record({ channel, limit: fc.integer({ min: -2, max: 300 }), reverse: fc.boolean(), since: fc.record({ offset: u64, epoch: fc.string({ maxLength: 10 }) }) }, { requiredKeys: ['channel'] }) }),
    fc.record({ id, presence: fc.record({ channel }) }),
    fc.record({ id, presenceStats: fc.record({ channel }) }),
    fc.record({ id, unsubscribe: fc.record({ channel }) }),
    fc.record({ id, rpc: fc.record({ method: fc.constantFrom('market.snapshot', 'nope', ''), data }) }),
    fc.record({ id, refresh: fc.record({ token }) }),
    fc.record({ id, subRefresh: fc.record({ channel, token }) }),
    fc.record({ send: fc.record({ data }) }),
    fc.constant({}),
  );

  const write = (commands: CommandInit[]): Buffer => {
    const w = new BinaryWriter();
    for (const c of commands) w.bytes(toBinary(CommandSchema, create(CommandSchema, c)));
    return Buffer.from(w.finish());
  };
  const frame = (kind: FuzzFrame['kind'], data: Buffer, detail: string, commands: CommandInit[] = []): FuzzFrame => ({
    kind, detail, encoding: 'protobuf', data, binary: true,
    ids: commands.map((c) => c.id ?? 0).filter((n) => n > 0),
    fresh: commands[0]?.connect !== undefined,
  });

  const valid = fc.array(command, { minLength: 1, maxLength: 6 }).map((cs) => frame('pb-valid', write(cs), `${cs.length} commands`, cs));
  const mutated = fc.tuple(fc.array(command, { minLength: 1, maxLength: 3 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'drop')), { minLength: 1, maxLength: 6 }))
    .map(([cs, edits]) => {
      const bytes = [...write(cs)];
      for (const [at, byte, op] of edits) {
        const i = at % (bytes.length + 1);
        if (op === 'set' && i < bytes.length) bytes[i] = byte;
        else if (op === 'insert') bytes.splice(i, 0, byte);
        else if (op === 'drop' && bytes.length > 1) bytes.splice(i % bytes.length, 1);
      }
      return frame('pb-mutated', Buffer.from(bytes), `${edits.length} edits`);
    });
  const truncated = fc.tuple(valid, fc.double({ min: 0, max: 1, noNaN: true })).map(([f, at]) => {
    const bytes = f.data as Buffer;
    const cut = Math.max(1, Math.min(bytes.length - 1, Math.floor(bytes.length * at)));
    return frame('pb-truncated', bytes.subarray(0, cut), `${cut} of ${bytes.length} bytes`);
  });
  const lying = fc.tuple(fc.constantFrom(0x7f, 0x3fff, 0x1fffff, 0xffffffff), fc.uint8Array({ maxLength: 30 }))
    .map(([len, body]) => frame('pb-length', Buffer.concat([Buffer.from(new BinaryWriter().uint32(len).finish()), Buffer.from(body)]), `length ${len}, ${body.length} bytes follow`));
  const wrongType = fc.tuple(fc.integer({ min: 1, max: 15 }), fc.constantFrom(WireType.Varint, WireType.Bit64, WireType.LengthDelimited, WireType.StartGroup, WireType.EndGroup, WireType.Bit32, 6, 7))
    .map(([field, wire]) => {
      const body = Buffer.from(new BinaryWriter().tag(field, wire as WireType).finish());
      const tail = Buffer.from([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08]);
      const message = Buffer.concat([Buffer.from([0x08, 0x01]), body, tail]);
      return frame('pb-wire-type', Buffer.concat([Buffer.from(new BinaryWriter().uint32(message.length).finish()), message]), `field ${field} wire ${wire}`);
    });
  const deep = fc.tuple(fc.constantFrom('filter', 'group', 'json'), fc.oneof(fc.integer({ min: 10, max: 200 }), fc.integer({ min: 200, max: 8000 })), id, fc.constantFrom(...publishable))
    .map(([how, depth, cmdId, ch]) => {
      let command: Uint8Array;
      if (how === 'filter') {
        // subscribe.tf nested `depth` deep, built bytes-first (create() would recurse as deep).
        let tf: Uint8Array = Buffer.from([0x12, 0x01, 0x6b]);
        for (let i = 0; i < depth; i++) tf = new BinaryWriter().tag(6, WireType.LengthDelimited).bytes(tf).finish();
        const sub = new BinaryWriter().tag(1, WireType.LengthDelimited).string(ch).tag(13, WireType.LengthDelimited).bytes(tf).finish();
        command = new BinaryWriter().tag(1, WireType.Varint).uint32(cmdId).tag(5, WireType.LengthDelimited).bytes(sub).finish();
      } else if (how === 'group') {
        const w = new BinaryWriter().tag(1, WireType.Varint).uint32(cmdId);
        for (let i = 0; i < depth; i++) w.tag(99, WireType.StartGroup);
        for (let i = 0; i < depth; i++) w.tag(99, WireType.EndGroup);
        command = w.finish();
      } else {
        // Deep JSON in publish data: the engine's publication check refuses it (107).
        const json = '['.repeat(depth) + ']'.repeat(depth);
        return frame('pb-deep', write([{ id: cmdId, publish: { channel: ch, data: enc.encode(json) } }]), `json depth ${depth}`, [{ id: cmdId, publish: {} }]);
      }
      return frame('pb-deep', Buffer.from(new BinaryWriter().bytes(command).finish()), `${how} depth ${depth}`);
    });
  const random = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.record({ seed: fc.integer(), n: fc.integer({ min: 0, max: 4000 }) }).map(({ seed, n }) => bytesFrom(seed, n)))
    .map((bytes) => frame('pb-random', Buffer.from(bytes), `${bytes.length} bytes`));
  // A protobuf socket sent text: a JSON command where binary frames are expected.
  const text = fc.constant<FuzzFrame>({ kind: 'pb-text', detail: 'JSON text on protobuf', encoding: 'protobuf', data: '{"id":5,"presence":{"channel":"fuzz:a"}}', binary: false, ids: [], fresh: false });

  return fc.oneof(
    { weight: 30, arbitrary: valid },
    { weight: 15, arbitrary: mutated },
    { weight: 5, arbitrary: truncated },
    { weight: 4, arbitrary: lying },
    { weight: 4, arbitrary: wrongType },
    { weight: 6, arbitrary: deep },
    { weight: 5, arbitrary: random },
    { weight: 1, arbitrary: text },
  );
}
