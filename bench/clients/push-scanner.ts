/**
 * Classifies the lines of a JSON text frame without JSON.parse: at a million publications a
 * second the load client must spend well under a microsecond per message, and only the
 * publication's timestamps matter. Anything that is not a publication or a ping is handed over
 * whole.
 *
 * A publication line is read in one pass (prefix, the "pub" key, then each "ts" key and its number
 * up to the line end), touching each byte about once: per-message cost is what bounds the load
 * worker at saturation. A `ticks:` publication carries its trades' stamps as one "ts" array, so
 * one line can hold up to a thousand stamps.
 */

export interface LineSink {
  /**
   * One timestamp of a publication (ms since the epoch; NaN if unreadable), in line order. `first`
   * is true on exactly one call per publication, the one to count publications on; a publication
   * without any "ts" key makes that single call, with NaN.
   */
  push(ts: number, first: boolean): void;
  /** The server ping `{}`, to be answered with `{}`. */
  ping(): void;
  /** A reply or anything else (connect/subscribe replies, errors, join/leave/disconnect pushes). */
  other(line: Buffer): void;
}

const NEWLINE = 0x0a;
const PUSH_HEAD = Buffer.from('{"push":');
const PUB_MARK = Buffer.from('"pub":');
const TS_KEY = Buffer.from('"ts":');
const OPEN_BRACKET = 0x5b;
const COMMA = 0x2c;

/** Where the last readNumber() stopped; a module variable so no pair is allocated per message. */
let numberEnd = 0;
/** Where the last unsuccessful findInLine() stopped (the newline, or `to`), for the same reason. */
let searchEnd = 0;

/** Scans the text frame `data[from, to)`. */
export function scanTextFrame(data: Buffer, sink: LineSink, from = 0, to = data.length): void {
  let start = from;
  while (start < to) start = classify(data, start, to, sink) + 1;
}

/** Handles the line starting at `start`; returns where it ends (its newline, or `to`). */
function classify(buf: Buffer, start: number, to: number, sink: LineSink): number {
  if (buf[start] === NEWLINE) return start;
  if (buf[start] === 0x7b && buf[start + 1] === 0x7d && (start + 2 === to || buf[start + 2] === NEWLINE)) {
    sink.ping();
    return start + 2;
  }
  // A push is a publication by its "pub" key (after the channel, before the data), so a join or
  // leave push is never counted as a message even if its info holds a "ts".
  if (startsWith(buf, PUSH_HEAD, start, to)) {
    const pub = findInLine(buf, PUB_MARK, start + PUSH_HEAD.length, to);
    if (pub !== -1) return stamps(buf, pub + PUB_MARK.length, to, sink);
  }
  const end = lineEnd(buf, start, to);
  sink.other(buf.subarray(start, end));
  return end;
}

/**
 * Reports every "ts" of publication data `buf[from, to)` that is a JSON text of its own (the data
 * bytes of a protobuf push), exactly as for a publication line.
 */
export function scanDataStamps(buf: Buffer, sink: Pick<LineSink, 'push'>, from: number, to: number): void {
  stamps(buf, from, to, sink);
}

/**
 * Reports every "ts" of the publication whose body starts at `from`; returns where its line ends.
 * A "ts" holds a number, or (a `ticks:` publication's column) an array of numbers, one per trade.
 */
function stamps(buf: Buffer, from: number, to: number, sink: Pick<LineSink, 'push'>): number {
  let first = true;
  let key = findInLine(buf, TS_KEY, from, to);
  while (key !== -1) {
    let at = key + TS_KEY.length;
    if (buf[at] !== OPEN_BRACKET) {
      sink.push(readNumber(buf, at, to), first);
      first = false;
    } else {
      // [n,n,...]: each number, up to the closing bracket.
      do {
        sink.push(readNumber(buf, at + 1, to), first);
        first = false;
        at = numberEnd;
      } while (buf[at] === COMMA);
    }
    key = findInLine(buf, TS_KEY, numberEnd, to);
  }
  if (first) sink.push(Number.NaN, true);
  return searchEnd;
}

/**
 * JS loops rather than Buffer.indexOf: indexOf is a native call with argument checks that costs
 * more than searching a few dozen bytes, and it cannot stop at a line or frame end.
 */
function lineEnd(buf: Buffer, from: number, to: number): number {
  let i = from;
  while (i < to && buf[i] !== NEWLINE) i++;
  return i;
}

function startsWith(buf: Buffer, needle: Buffer, at: number, to: number): boolean {
  if (to - at < needle.length) return false;
  for (let i = 0; i < needle.length; i++) if (buf[at + i] !== needle[i]) return false;
  return true;
}

/** `needle` in `buf[from, to)` before the next newline, or -1 with `searchEnd` set to that line end. */
function findInLine(buf: Buffer, needle: Buffer, from: number, to: number): number {
  const first = needle[0];
  const last = to - needle.length;
  let i = from;
  for (; i <= last; i++) {
    const c = buf[i];
    if (c === NEWLINE) {
      searchEnd = i;
      return -1;
    }
    if (c === first && startsWith(buf, needle, i, to)) return i;
  }
  // The last few bytes are too short to hold the needle but may hold the newline.
  searchEnd = lineEnd(buf, i, to);
  return -1;
}

/** A non-negative JSON decimal (no exponent) starting at `pos`; NaN if there is none. */
export function readNumber(buf: Buffer, pos: number, end: number): number {
  let i = pos;
  let int = 0;
  while (i < end) {
    const c = buf[i] ?? 0;
    if (c < 0x30 || c > 0x39) break;
    int = int * 10 + (c - 0x30);
    i++;
  }
  if (i === pos) {
    numberEnd = i;
    return Number.NaN;
  }
  if (buf[i] !== 0x2e) {
    numberEnd = i;
    return int;
  }
  i++;
  let frac = 0;
  let scale = 1;
  while (i < end) {
    const c = buf[i] ?? 0;
    if (c < 0x30 || c > 0x39) break;
    // Digits past a nanosecond change nothing measurable; skip them without overflowing scale.
    if (scale < 1e9) {
      frac = frac * 10 + (c - 0x30);
      scale *= 10;
    }
    i++;
  }
  numberEnd = i;
  return int + frac / scale;
}
