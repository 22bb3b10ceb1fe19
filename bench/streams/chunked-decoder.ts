/**
 * A streaming decoder of HTTP/1.1 chunked transfer coding (RFC 9112 §7.1), zero-copy: the body
 * bytes of each read are handed over as ranges of the read buffer, so a stream reader allocates
 * nothing per publication. TCP splits anywhere, size lines and chunk ends included, so every state
 * survives between reads. Pure (no sockets) so it can be tested byte by byte.
 */

export class ChunkedError extends Error {}

/** Receives body bytes `buf[start, end)`, valid only during the call. */
export type BodyHandler = (buf: Buffer, start: number, end: number) => void;

const CR = 0x0d;
const LF = 0x0a;
/** 8 hex digits: chunks up to 4 GiB, far beyond what a stream session writes in one go. */
const MAX_SIZE_DIGITS = 8;

type State = 'size' | 'extension' | 'sizeLf' | 'data' | 'dataCr' | 'dataLf' | 'done';

export class ChunkedDecoder {
  private state: State = 'size';
  private digits = 0;
  private remaining = 0;

  constructor(private readonly onBody: BodyHandler) {}

  /** The last (zero-size) chunk arrived: the response is complete (trailers are not read). */
  get done(): boolean {
    return this.state === 'done';
  }

  push(buf: Buffer, start = 0, end = buf.length): void {
    let i = start;
    while (i < end && this.state !== 'done') {
      switch (this.state) {
        case 'size': {
          const c = buf[i] as number;
          const v = hexValue(c);
          if (v >= 0) {
            if (++this.digits > MAX_SIZE_DIGITS) throw new ChunkedError('chunk size line too long');
            this.remaining = this.remaining * 16 + v;
            i++;
          } else if (this.digits === 0) {
            throw new ChunkedError(`chunk size expected, got byte ${c}`);
          } else if (c === CR) {
            this.state = 'sizeLf';
            i++;
          } else if (c === 0x3b || c === 0x20 || c === 0x09) {
            this.state = 'extension';
            i++;
          } else {
            throw new ChunkedError(`unexpected byte ${c} in a chunk size`);
          }
          break;
        }
        case 'extension':
          // Extensions carry nothing a reader needs; bounded like the size line.
          if (buf[i] === CR) this.state = 'sizeLf';
          else if (++this.digits > 256) throw new ChunkedError('chunk extension too long');
          i++;
          break;
        case 'sizeLf':
          if (buf[i] !== LF) throw new ChunkedError('chunk size line not ended by CRLF');
          i++;
          this.digits = 0;
          this.state = this.remaining === 0 ? 'done' : 'data';
          break;
        case 'data': {
          const take = Math.min(this.remaining, end - i);
          this.onBody(buf, i, i + take);
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) this.state = 'dataCr';
          break;
        }
        case 'dataCr':
          if (buf[i] !== CR) throw new ChunkedError('chunk data not followed by CRLF');
          this.state = 'dataLf';
          i++;
          break;
        case 'dataLf':
          if (buf[i] !== LF) throw new ChunkedError('chunk data not followed by CRLF');
          this.state = 'size';
          i++;
          break;
      }
    }
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}
