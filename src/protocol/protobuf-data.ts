/**
 * The `bytes` fields of the protobuf encoding (data, conn_info, chan_info) and the values the
 * engine keeps. Channels are shared by clients of every encoding, and the engine keeps JSON
 * values (checked at publish time, stored in history, fanned out once per encoding), so a
 * protobuf client's bytes are read as the JSON they hold, and a value goes out as its JSON
 * bytes: what a JSON publisher sends reaches a protobuf subscriber as those same JSON bytes, and
 * the other way round, as in Centrifugo, whose JSON clients see data as raw JSON.
 */

import { JsonBytes } from './json-bytes.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const EMPTY = new Uint8Array(0);

/**
 * The value of a bytes field: undefined when empty (proto3 cannot tell empty from absent), the
 * JSON value when the bytes are UTF-8 JSON, and otherwise the bytes themselves. Binary data is
 * kept as a Uint8Array so that the command it came in gets its own answer: publish refuses it
 * with error 107 (PublicationCheck accepts only JSON values), rather than the whole frame
 * being dropped as malformed.
 */
export function bytesToValue(bytes: Uint8Array): unknown {
  if (bytes.length === 0) return undefined;
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return bytes.slice();
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return bytes.slice();
  }
}

/** The bytes of a value: its JSON text, or the value itself when it is already bytes. */
export function valueToBytes(value: unknown): Uint8Array {
  if (value === undefined) return EMPTY;
  if (value instanceof Uint8Array) return value;
  const text = JSON.stringify(value);
  // JSON.stringify returns undefined for functions and symbols: nothing to send.
  return text === undefined ? EMPTY : Buffer.from(text, 'utf8');
}

/** Publication data of a protobuf client: bytesToValue, keeping JSON's exact bytes (JsonBytes). */
export function bytesToPublicationData(bytes: Uint8Array): unknown {
  const value = bytesToValue(bytes);
  return value === undefined || value instanceof Uint8Array ? value : JsonBytes.copyOf(bytes, { value });
}
