import { scanTextFrame, type LineSink } from '../clients/push-scanner.js';

/**
 * The two line framings of the emulation streams, read without JSON.parse: an HTTP-streaming body
 * is newline-delimited JSON (one message per line), an SSE body one `data: <json>` line per
 * message followed by a blank line. Either way a message may straddle two reads or two chunks,
 * so complete lines are handed on and only an unfinished tail is kept (copied: the read buffer is
 * shared by every socket of the process).
 */

export class LineError extends Error {}

/** Receives `buf[start, end)`, whole lines each ending in a newline, valid only during the call. */
export type LinesHandler = (buf: Buffer, start: number, end: number) => void;

const LF = 0x0a;

export class LineAssembler {
  private tail: Buffer | undefined;

  constructor(private readonly onLines: LinesHandler, private readonly maxLineBytes = 1024 * 1024) {}

  /** Bytes held back waiting for the end of their line. */
  get buffered(): number {
    return this.tail?.length ?? 0;
  }

  push(buf: Buffer, start: number, end: number): void {
    let from = start;
    if (this.tail) {
      const nl = buf.indexOf(LF, from);
      if (nl === -1 || nl >= end) {
        this.keep(Buffer.concat([this.tail, buf.subarray(from, end)]));
        return;
      }
      const line = Buffer.concat([this.tail, buf.subarray(from, nl + 1)]);
      this.tail = undefined;
      this.onLines(line, 0, line.length);
      from = nl + 1;
    }
    if (from >= end) return;
    const last = buf.lastIndexOf(LF, end - 1);
    if (last < from) {
      this.keep(Buffer.from(buf.subarray(from, end)));
      return;
    }
    this.onLines(buf, from, last + 1);
    if (last + 1 < end) this.keep(Buffer.from(buf.subarray(last + 1, end)));
  }

  private keep(tail: Buffer): void {
    if (tail.length > this.maxLineBytes) throw new LineError(`a line of over ${this.maxLineBytes} bytes`);
    this.tail = tail;
  }
}

const DATA = Buffer.from('data:');

/**
 * Scans SSE lines `buf[start, end)`: each `data:` field is one JSON message and goes to the
 * push scanner as a line of its own; blank lines, comments and other fields carry no message.
 */
export function scanSseLines(buf: Buffer, sink: LineSink, start: number, end: number): void {
  let i = start;
  while (i < end) {
    let nl = buf.indexOf(LF, i);
    if (nl === -1 || nl > end) nl = end;
    // An optional CR before the LF belongs to the line end.
    const lineEnd = nl > i && buf[nl - 1] === 0x0d ? nl - 1 : nl;
    if (lineEnd - i >= DATA.length && buf.compare(DATA, 0, DATA.length, i, i + DATA.length) === 0) {
      let at = i + DATA.length;
      if (buf[at] === 0x20) at++;
      if (at < lineEnd) scanTextFrame(buf, sink, at, lineEnd);
    }
    i = nl + 1;
  }
}
