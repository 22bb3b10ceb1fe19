import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';
import { type Codec, MalformedFrameError } from './codec.js';
import type { Publication, ServerMessage } from './frames.js';
import { CommandSchema, ReplySchema } from './gen/client_pb.js';
import { commandToRaw } from './protobuf-command.js';
import { replyFromMessage } from './protobuf-reply.js';
import { encodePublicationPush } from './protobuf-push.js';

/**
 * Nesting the decoder follows before it refuses a frame. A Command nests 4 levels at most
 * (connect.subs entry, subscribe.tf's first FilterNode); only the filter tree of subscribe.tf,
 * which this server ignores, goes deeper, and past this it is an attack on the stack.
 */
const RECURSION_LIMIT = 32;
const READ_OPTIONS = { readUnknownFields: false, recursionLimit: RECURSION_LIMIT } as const;

/**
 * protobuf (subprotocol `centrifuge-protobuf`): binary frames of varint-length-delimited
 * Command messages in, Reply messages out, of Centrifugo's client.proto (gen/client_pb.ts).
 */
export const protobufCodec: Codec = {
  name: 'protobuf',
  binary: true,
  decode(frame) {
    const bytes = frame instanceof Uint8Array ? frame : new Uint8Array(frame);
    const reader = new BinaryReader(bytes);
    const out: unknown[] = [];
    while (reader.pos < reader.len) {
      let message: Uint8Array;
      try {
        // The length prefix is checked against what the frame holds before anything is read.
        const length = reader.uint32();
        if (length > reader.len - reader.pos) throw new Error(`message of ${length} bytes in a frame with ${reader.len - reader.pos} left`);
        message = bytes.subarray(reader.pos, reader.pos + length);
        reader.pos += length;
        out.push(commandToRaw(fromBinary(CommandSchema, message, READ_OPTIONS)));
      } catch (err) {
        if (err instanceof MalformedFrameError) throw err;
        throw new MalformedFrameError(`invalid protobuf: ${(err as Error).message}`, { cause: err });
      }
    }
    return out;
  },
  encode(messages) {
    if (messages.length === 1) return encodeMessage(messages[0] as ServerMessage);
    return Buffer.concat(messages.map(encodeMessage));
  },
  encodeOne: encodeMessage,
};

/** One message, length-delimited; publication pushes (the fan-out's) take the direct path. */
function encodeMessage(message: ServerMessage): Uint8Array {
  const push = (message as { push?: { channel?: unknown; pub?: Publication } }).push;
  if (push?.pub !== undefined && typeof push.channel === 'string') return encodePublicationPush(push.channel, push.pub);
  return new BinaryWriter().bytes(toBinary(ReplySchema, replyFromMessage(message))).finish();
}
