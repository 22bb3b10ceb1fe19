/**
 * Classifies the lines of a JSON text frame without JSON.parse: at a million publications a
 * second the load client must spend nanoseconds per message, and only the publication's
 * timestamp matters. Anything that is not a push or a ping is handed over whole (it is rare).
 */

export interface LineSink {
  /** A publication; `ts` is its publish timestamp (ms since the epoch), NaN if it has none. */
  push(ts: number): void;
  /** The server ping `{}`, to be answered with `{}`. */
  ping(): void;
  /** A reply or anything else (connect/subscribe replies, errors, disconnect pushes). */
  other(line: Buffer): void;
}

const NEWLINE = 0x0a;
const PUSH_PREFIX = Buffer.from('{"push":{"channel":');
const PUB_MARK = Buffer.from('"pub":');
const TS_KEY = Buffer.from('"ts":');

export function scanTextFrame(payload: Buffer, sink: LineSink): void {
  let start = 0;
  const len = payload.length;
  while (start < len) {
    let end = payload.indexOf(NEWLINE, start);
    if (end === -1) end = len;
    classify(payload, start, end, sink);
    start = end + 1;
  }
}

function classify(buf: Buffer, start: number, end: number, sink: LineSink): void {
  const size = end - start;
  if (size === 0) return;
  if (size === 2 && buf[start] === 0x7b && buf[start + 1] === 0x7d) {
    sink.ping();
    return;
  }
  if (size > PUSH_PREFIX.length && buf.compare(PUSH_PREFIX, 0, PUSH_PREFIX.length, start, start + PUSH_PREFIX.length) === 0) {
    const pub = buf.indexOf(PUB_MARK, start + PUSH_PREFIX.length);
    if (pub !== -1 && pub < end) {
      const key = buf.indexOf(TS_KEY, pub);
      sink.push(key !== -1 && key < end ? readNumber(buf, key + TS_KEY.length, end) : Number.NaN);
      return;
    }
  }
  sink.other(buf.subarray(start, end));
}

/** A non-negative JSON decimal (no exponent) starting at `pos`; NaN if there is none. */
export function readNumber(buf: Buffer, pos: number, end: number): number {
  let i = pos;
  let int = 0;
  let digits = 0;
  while (i < end) {
    const c = buf[i] ?? 0;
    if (c < 0x30 || c > 0x39) break;
    int = int * 10 + (c - 0x30);
    i++;
    digits++;
  }
  if (digits === 0) return Number.NaN;
  if (buf[i] !== 0x2e) return int;
  i++;
  let frac = 0;
  let scale = 1;
  while (i < end && scale < 1e9) {
    const c = buf[i] ?? 0;
    if (c < 0x30 || c > 0x39) break;
    frac = frac * 10 + (c - 0x30);
    scale *= 10;
    i++;
  }
  return int + frac / scale;
}
