import { fromBinary } from '@bufbuild/protobuf';
import { MalformedFrameError } from './codec.js';
import { EmulationRequestSchema } from './gen/client_pb.js';

/** A client's later commands over `/emulation`: which session, which node, and the frame itself. */
export interface EmulationRequest {
  session: string;
  node: string;
  /** The frame, in the session's own encoding. */
  data: Uint8Array;
}

/** Session ids are UUIDs; anything longer is refused before a lookup. */
const MAX_ID_CHARS = 128;

function checkIds(session: unknown, node: unknown): asserts session is string {
  if (typeof session !== 'string' || session === '' || session.length > MAX_ID_CHARS) throw new MalformedFrameError(`session must be a non-empty string of at most ${MAX_ID_CHARS} characters`);
  if (node !== undefined && (typeof node !== 'string' || node.length > MAX_ID_CHARS)) throw new MalformedFrameError(`node must be a string of at most ${MAX_ID_CHARS} characters`);
}

/**
 * JSON body, as centrifuge-js sends it for a JSON session: `{session, node, data}` where data is
 * the commands' JSON text as a string (a JSON string inside the JSON object).
 */
export function emulationRequestFromJson(body: Uint8Array): EmulationRequest {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (err) {
    throw new MalformedFrameError(`emulation request is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new MalformedFrameError('emulation request must be an object {session, node, data}');
  const { session, node, data } = raw as Record<string, unknown>;
  checkIds(session, node);
  if (typeof data !== 'string') throw new MalformedFrameError('data must be a string holding the commands (JSON encoding)');
  return { session, node: (node as string | undefined) ?? '', data: Buffer.from(data, 'utf8') };
}

/** protobuf body (`application/octet-stream`): an EmulationRequest message of client.proto. */
export function emulationRequestFromProtobuf(body: Uint8Array): EmulationRequest {
  let msg: { session: string; node: string; data: Uint8Array };
  try {
    msg = fromBinary(EmulationRequestSchema, body, { readUnknownFields: false });
  } catch (err) {
    throw new MalformedFrameError(`emulation request is not a valid EmulationRequest: ${(err as Error).message}`, { cause: err });
  }
  checkIds(msg.session, msg.node);
  return { session: msg.session, node: msg.node, data: msg.data };
}
