import type { ClientInfo } from './frames.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Connection or channel info given as bytes (a token's `b64info`), for clients of every
 * encoding at once. A protobuf client gets the bytes as they are (valueToBytes passes a
 * Uint8Array through) and a msgpack client gets them as binary (msgpack packs byte views as
 * `bin`). JSON has no bytes: Centrifugo writes them into the JSON frame as they are, so a JSON
 * client sees the JSON value they hold; bytes that are not UTF-8 JSON would break its frame
 * there, and here go out as their base64 string instead (toJSON, which JSON.stringify calls
 * wherever the info is written: client frames and server API answers alike).
 */
export class BinaryInfo extends Uint8Array {
  private json: { value: unknown } | undefined;

  /** A copy of the bytes as binary info (a copy: a view would hold on to the whole Redis reply it came in). */
  static fromBytes(bytes: Uint8Array): BinaryInfo {
    if (bytes instanceof BinaryInfo) return bytes;
    const out = new BinaryInfo(bytes.byteLength);
    out.set(bytes);
    return out;
  }

  toJSON(): unknown {
    this.json ??= { value: jsonOf(this) };
    return this.json.value;
  }
}

function jsonOf(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(utf8.decode(bytes)) as unknown;
  } catch {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  }
}

/**
 * Info read back from Redis (msgpack) holds plain byte arrays where it held BinaryInfo: views
 * them as BinaryInfo again, so JSON clients on any node see the same as on the node that set it.
 */
export function restoreBinaryInfo(info: ClientInfo): ClientInfo {
  if (info.conn_info instanceof Uint8Array) info.conn_info = BinaryInfo.fromBytes(info.conn_info);
  if (info.chan_info instanceof Uint8Array) info.chan_info = BinaryInfo.fromBytes(info.chan_info);
  return info;
}
