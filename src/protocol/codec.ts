import type { ServerMessage } from './frames.js';

/** A wire encoding: the gateway decodes a frame into commands and encodes replies and pushes. */
export interface Codec {
  readonly name: 'json' | 'msgpack' | 'protobuf';
  /** Binary WebSocket frames (msgpack, protobuf) or text frames (JSON). */
  readonly binary: boolean;
  /** Decodes one frame into raw messages; throws MalformedFrameError. */
  decode(frame: ArrayBuffer | Uint8Array): unknown[];
  /** Encodes several messages into one frame. */
  encode(messages: readonly ServerMessage[]): string | Uint8Array;
  /** Encodes one message; the data plane calls this once per publication and encoding. */
  encodeOne(message: ServerMessage): string | Uint8Array;
}

export class MalformedFrameError extends Error {
  readonly code = 'MALFORMED_FRAME';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MalformedFrameError';
  }
}
