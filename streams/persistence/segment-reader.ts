import type { FileHandle } from 'node:fs/promises';
import { checkHeader, crcMatches, decodeRows, RECORD_HEADER_BYTES, RECORD_MAGIC } from './spill-record.js';

/** What lies at an offset of a segment. */
export type SegmentRead =
  | { kind: 'record'; rows: unknown[]; end: number }
  /** Nothing more: the offset is the end. */
  | { kind: 'end' }
  /** The segment ends inside a record: an append cut short by a crash. Nothing after it. */
  | { kind: 'torn'; bytes: number }
  /** Damaged bytes from the offset up to `next`, where the next good record starts (or the end). */
  | { kind: 'corrupt'; next: number; reason: 'magic' | 'length' | 'crc' | 'payload' };

/** How far a scan for the next record reads at once. */
const SCAN_CHUNK = 64 * 1024;

/** Up to `n` bytes at `position` (fewer at the end of the file). */
async function readAt(fh: FileHandle, position: number, n: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(n);
  let got = 0;
  while (got < n) {
    const { bytesRead } = await fh.read(buf, got, n - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === n ? buf : buf.subarray(0, got);
}

/** A whole, undamaged record at `at` within `size` bytes: its rows and end, or undefined. */
async function recordAt(fh: FileHandle, at: number, size: number): Promise<{ rows: unknown[] | undefined; end: number } | undefined> {
  if (size - at < RECORD_HEADER_BYTES) return undefined;
  const header = await readAt(fh, at, RECORD_HEADER_BYTES);
  const h = checkHeader(header);
  if (!h.ok || at + RECORD_HEADER_BYTES + h.length > size) return undefined;
  const payload = await readAt(fh, at + RECORD_HEADER_BYTES, h.length);
  if (payload.length !== h.length || !crcMatches(header, payload, h.crc)) return undefined;
  return { rows: decodeRows(payload), end: at + RECORD_HEADER_BYTES + h.length };
}

/** The offset of the next whole record after `from` (the magic, then a record that checks), or `size`. */
async function nextRecord(fh: FileHandle, from: number, size: number): Promise<number> {
  let pos = from;
  while (pos < size) {
    // Overlap by the magic's length less one, so a magic split across two chunks is still seen.
    const chunk = await readAt(fh, pos, Math.min(SCAN_CHUNK, size - pos));
    if (chunk.length < RECORD_MAGIC.length) break;
    let i = chunk.indexOf(RECORD_MAGIC);
    while (i !== -1) {
      if (await recordAt(fh, pos + i, size)) return pos + i;
      i = chunk.indexOf(RECORD_MAGIC, i + 1);
    }
    if (pos + chunk.length >= size) break;
    pos += chunk.length - (RECORD_MAGIC.length - 1);
  }
  return size;
}

/**
 * Reads what lies at `offset` of a segment of `size` bytes. A segment is input from disk like any
 * other: whatever its bytes, the answer is a record, the end, a torn tail or a damaged stretch
 * with where reading can go on, never a throw for bad content (only for a failing read).
 */
export async function readSegment(fh: FileHandle, offset: number, size: number): Promise<SegmentRead> {
  if (offset >= size) return { kind: 'end' };
  const header = await readAt(fh, offset, Math.min(RECORD_HEADER_BYTES, size - offset));
  if (header.length < RECORD_HEADER_BYTES) {
    const prefix = Math.min(header.length, RECORD_MAGIC.length);
    return header.subarray(0, prefix).equals(RECORD_MAGIC.subarray(0, prefix)) ? { kind: 'torn', bytes: size - offset } : { kind: 'corrupt', next: size, reason: 'magic' };
  }
  const h = checkHeader(header);
  if (!h.ok) return { kind: 'corrupt', next: await nextRecord(fh, offset + 1, size), reason: h.problem };
  const end = offset + RECORD_HEADER_BYTES + h.length;
  if (end > size) {
    // A length past the end is a torn append, unless a good record follows: then the length was damaged.
    const next = await nextRecord(fh, offset + 1, size);
    return next < size ? { kind: 'corrupt', next, reason: 'length' } : { kind: 'torn', bytes: size - offset };
  }
  const payload = await readAt(fh, offset + RECORD_HEADER_BYTES, h.length);
  if (payload.length !== h.length || !crcMatches(header, payload, h.crc)) {
    return { kind: 'corrupt', next: await nextRecord(fh, offset + 1, size), reason: 'crc' };
  }
  const rows = decodeRows(payload);
  // Framing and CRC hold, so the bytes are as written, by something that does not write rows.
  if (!rows) return { kind: 'corrupt', next: end, reason: 'payload' };
  return { kind: 'record', rows, end };
}
