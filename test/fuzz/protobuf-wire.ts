import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';
import { CommandSchema, ReplySchema } from '../../src/protocol/gen/client_pb.js';

/** The handshake commands the fuzz sends (connect, subscribes), as a protobuf frame. */
export type HandshakeCommand = { id: number; connect: { name: string } } | { id: number; subscribe: { channel: string | undefined } };

export function protobufHandshake(commands: readonly HandshakeCommand[]): Buffer {
  const w = new BinaryWriter();
  for (const c of commands) w.bytes(toBinary(CommandSchema, create(CommandSchema, c)));
  return Buffer.from(w.finish());
}

/** The protobuf pong: an empty Command. */
export const PROTOBUF_PONG = Buffer.from([0]);

/**
 * The replies of a protobuf frame in the shape the fuzz socket counts (`id`, `error.code`,
 * `push`; an empty Reply is a ping, `{}`). Throws on a frame it cannot read.
 */
export function protobufReplies(data: Uint8Array): Record<string, unknown>[] {
  const r = new BinaryReader(data);
  const out: Record<string, unknown>[] = [];
  while (r.pos < r.len) {
    const reply = fromBinary(ReplySchema, r.bytes());
    if (reply.error) out.push({ id: reply.id, error: { code: reply.error.code } });
    else if (reply.push) out.push({ push: true });
    else if (reply.id > 0) out.push({ id: reply.id });
    else out.push({});
  }
  return out;
}
