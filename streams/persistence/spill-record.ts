import { crc32 } from 'node:zlib';
import { Packr, Unpackr } from 'msgpackr';

/**
 * One record of a spill segment: `magic(4) length(u32 LE) crc(u32 LE) payload(length)`, where the
 * payload is one msgpack array of rows and the CRC32 covers the length bytes and the payload (a
 * flipped length is caught too, not only a flipped row). The magic lets a reader find the next
 * record after a damaged one; its last byte is the format version.
 */
export const RECORD_MAGIC = Buffer.from([0x53, 0x4e, 0x53, 0x01]);
export const RECORD_HEADER_BYTES = 12;
/** Larger than any batch the writers make (10,000 rows of a few hundred bytes); a larger length is damage. */
export const RECORD_MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

// msgpackr records (the key list once per record, not once per row) halve a bar row; with no
// shared structures each record carries its own, so any record decodes alone, in any process.
const packr = new Packr({ useRecords: true });

/** The framed bytes of one record of `rows`. Throws msgpackr's error for a row it cannot encode. */
export function encodeRecord(rows: readonly unknown[]): Buffer {
  const payload = packr.pack(rows);
  const out = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payload.length);
  RECORD_MAGIC.copy(out, 0);
  out.writeUInt32LE(payload.length, 4);
  out.writeUInt32LE(crc32(payload, crc32(out.subarray(4, 8))), 8);
  payload.copy(out, RECORD_HEADER_BYTES);
  return out;
}

export type HeaderCheck = { ok: true; length: number; crc: number } | { ok: false; problem: 'magic' | 'length' };

/** Reads a 12-byte header: whether it starts a record, and the payload length and CRC it claims. */
export function checkHeader(header: Buffer): HeaderCheck {
  if (header.length < RECORD_HEADER_BYTES || !header.subarray(0, 4).equals(RECORD_MAGIC)) return { ok: false, problem: 'magic' };
  const length = header.readUInt32LE(4);
  if (length === 0 || length > RECORD_MAX_PAYLOAD_BYTES) return { ok: false, problem: 'length' };
  return { ok: true, length, crc: header.readUInt32LE(8) };
}

/** Whether the payload matches the CRC of its header. */
export function crcMatches(header: Buffer, payload: Buffer, crc: number): boolean {
  return crc32(payload, crc32(header.subarray(4, 8))) === crc;
}

/** The rows of a payload whose CRC matched, or undefined when it is not a msgpack array (written by something else). */
export function decodeRows(payload: Buffer): unknown[] | undefined {
  try {
    // A fresh decoder per record: a record's structures are its own, none may leak into the next.
    const value: unknown = new Unpackr({ useRecords: true }).unpack(payload);
    return Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
