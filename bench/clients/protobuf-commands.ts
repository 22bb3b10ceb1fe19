import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { CommandSchema, ReplySchema } from '../../src/protocol/gen/client_pb.js';

/** connect (id 1) and subscribe (id `subscribeId`) in one protobuf frame, as a protobuf SDK sends them. */
export function protobufCommands(channel: string, subscribeId: number): Buffer {
  const w = new BinaryWriter();
  w.bytes(toBinary(CommandSchema, create(CommandSchema, { id: 1, connect: {} })));
  w.bytes(toBinary(CommandSchema, create(CommandSchema, { id: subscribeId, subscribe: { channel } })));
  return Buffer.from(w.finish());
}

/** What the load client needs of a reply that is not a publication (rare: off the hot path, so decoded in full). */
export function protobufReply(bytes: Uint8Array): { id: number; error?: { code: number; message: string }; subscribed: boolean } {
  const r = fromBinary(ReplySchema, bytes);
  return { id: r.id, ...(r.error ? { error: { code: r.error.code, message: r.error.message } } : {}), subscribed: r.subscribe !== undefined };
}
