import { type Codec, ErrorCode, ProtocolError, type ServerMessage } from '../protocol/index.js';

const INTERNAL_REPLY_ERROR = new ProtocolError(ErrorCode.Internal).toReplyError();

/**
 * A frame's messages one by one, after encoding them together failed: a reply that cannot be
 * encoded becomes error 100 for its command, and the other replies of the frame go out as they
 * are (a connect reply lost with its neighbours leaves the SDK waiting forever).
 */
export function encodeEach(codec: Codec, messages: readonly ServerMessage[]): string | Uint8Array {
  const ok: ServerMessage[] = [];
  for (const m of messages) {
    try {
      codec.encodeOne(m);
      ok.push(m);
    } catch {
      const id = (m as { id?: unknown }).id;
      if (typeof id === 'number' && id > 0) ok.push({ id, error: INTERNAL_REPLY_ERROR });
    }
  }
  return codec.encode(ok);
}
