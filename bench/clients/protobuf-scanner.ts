import { scanDataStamps, type LineSink } from './push-scanner.js';

/**
 * Classifies the Replies of a protobuf binary frame (varint-length-delimited, Centrifugo's
 * client.proto) without decoding them: like the JSON scanner, the load client must spend well
 * under a microsecond per message, so it walks the wire format to the data bytes of a
 * publication push (Reply.push = 4, Push.pub = 4, Publication.data = 4) and reads the "ts" stamps
 * of that JSON text. An empty Reply is the server ping; anything else is handed over whole.
 */
export interface ReplySink extends Pick<LineSink, 'push' | 'ping'> {
  /** A reply or push that is not a publication: `buf[start, end)` is one Reply message. */
  other(buf: Buffer, start: number, end: number): void;
}

const FIELD_PUSH = 4;
const FIELD_PUB = 4;
const FIELD_DATA = 4;

/** Where the last readVarint() stopped, and the bounds found by the last findField(); module variables, so nothing is allocated per message. */
let varintEnd = 0;
let fieldStart = 0;
let fieldEnd = 0;

export class ProtobufScanError extends Error {
  readonly code = 'PROTOBUF_SCAN';
}

/** Scans the binary frame `data[from, to)`. */
export function scanProtobufFrame(buf: Buffer, sink: ReplySink, from = 0, to = buf.length): void {
  let pos = from;
  while (pos < to) {
    const len = readVarint(buf, pos, to);
    const start = varintEnd;
    const end = start + len;
    if (end > to) throw new ProtobufScanError(`reply of ${len} bytes past the frame end`);
    if (len === 0) sink.ping();
    else if (findField(buf, start, end, FIELD_PUSH) && findField(buf, fieldStart, fieldEnd, FIELD_PUB)) {
      if (findField(buf, fieldStart, fieldEnd, FIELD_DATA)) scanDataStamps(buf, sink, fieldStart, fieldEnd);
      else sink.push(Number.NaN, true);
    } else sink.other(buf, start, end);
    pos = end;
  }
}

/** Finds length-delimited field `field` in the message `buf[from, to)`; sets fieldStart/fieldEnd. */
function findField(buf: Buffer, from: number, to: number, field: number): boolean {
  let pos = from;
  while (pos < to) {
    const tag = readVarint(buf, pos, to);
    pos = varintEnd;
    const wire = tag & 7;
    if (wire === 0) {
      readVarint(buf, pos, to);
      pos = varintEnd;
    } else if (wire === 2) {
      const len = readVarint(buf, pos, to);
      pos = varintEnd;
      if (pos + len > to) throw new ProtobufScanError('field past its message end');
      if (tag >>> 3 === field) {
        fieldStart = pos;
        fieldEnd = pos + len;
        return true;
      }
      pos += len;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new ProtobufScanError(`wire type ${wire}`);
  }
  return false;
}

/** A varint of at most 35 bits (lengths, tags); 64-bit values are skipped byte by byte. */
function readVarint(buf: Buffer, pos: number, to: number): number {
  let result = 0;
  let shift = 0;
  let i = pos;
  for (;;) {
    if (i >= to) throw new ProtobufScanError('truncated varint');
    const b = buf[i++] as number;
    if (shift < 35) result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) break;
    shift += 7;
    if (shift > 63) throw new ProtobufScanError('varint too long');
  }
  varintEnd = i;
  return result;
}
