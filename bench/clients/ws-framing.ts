import { createHash } from 'node:crypto';

/**
 * The least of RFC 6455 a load client needs: the upgrade handshake, masked client frames and a
 * streaming parser for unmasked server frames. Pure (no sockets) so it can be tested byte by byte.
 */

export const Opcode = { Continuation: 0x0, Text: 0x1, Binary: 0x2, Close: 0x8, Ping: 0x9, Pong: 0xa } as const;

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const HEAD_END = Buffer.from('\r\n\r\n');

export class FramingError extends Error {}

/** The Sec-WebSocket-Accept a server must answer to `key`. */
export function acceptKeyFor(key: string): string {
  return createHash('sha1').update(key + WS_GUID).digest('base64');
}

export function upgradeRequest(host: string, port: number, path: string, key: string, protocol?: string): string {
  return `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
    + `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${protocol ? `Sec-WebSocket-Protocol: ${protocol}\r\n` : ''}\r\n`;
}

/** Where the HTTP head ends in `buf` (the index after the blank line), or -1 if not there yet. */
export function headEnd(buf: Buffer): number {
  const at = buf.indexOf(HEAD_END);
  return at === -1 ? -1 : at + HEAD_END.length;
}

/** Checks the 101 response head; returns why it is not an accepted upgrade, or undefined. */
export function upgradeProblem(head: string, key: string): string | undefined {
  const lines = head.split('\r\n');
  const status = lines[0] ?? '';
  if (!/^HTTP\/1\.1 101\b/.test(status)) return `upgrade refused: ${status}`;
  const accept = lines.find((l) => l.toLowerCase().startsWith('sec-websocket-accept:'));
  if (!accept) return 'upgrade response has no Sec-WebSocket-Accept';
  if (accept.slice(accept.indexOf(':') + 1).trim() !== acceptKeyFor(key)) return 'Sec-WebSocket-Accept does not match the key';
  return undefined;
}

/** One FIN client frame; RFC 6455 requires every client frame to be masked. */
export function encodeClientFrame(opcode: number, payload: Uint8Array, mask: Uint8Array): Buffer {
  if (mask.length !== 4) throw new FramingError('a mask is 4 bytes');
  const len = payload.length;
  const extra = len < 126 ? 0 : len <= 0xffff ? 2 : 8;
  const out = Buffer.allocUnsafe(2 + extra + 4 + len);
  out[0] = 0x80 | (opcode & 0x0f);
  if (extra === 0) {
    out[1] = 0x80 | len;
  } else if (extra === 2) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeUInt32BE(Math.floor(len / 0x1_0000_0000), 2);
    out.writeUInt32BE(len >>> 0, 6);
  }
  const at = 2 + extra;
  out.set(mask, at);
  const m0 = mask[0] ?? 0, m1 = mask[1] ?? 0, m2 = mask[2] ?? 0, m3 = mask[3] ?? 0;
  for (let i = 0; i < len; i++) {
    const m = (i & 3) === 0 ? m0 : (i & 3) === 1 ? m1 : (i & 3) === 2 ? m2 : m3;
    out[at + 4 + i] = (payload[i] ?? 0) ^ m;
  }
  return out;
}

/**
 * Receives each complete frame as `data[start, end)`, valid only during the call. Offsets instead
 * of a subarray: at millions of frames a second, one view object per frame is measurable.
 */
export type FrameHandler = (opcode: number, data: Buffer, start: number, end: number) => void;

/**
 * Streaming parser of server frames. TCP hands over arbitrary slices, so a frame may arrive in
 * pieces and one read may hold many frames: only the unfinished tail is copied and kept.
 */
export class FrameParser {
  private pending: Buffer | undefined;

  constructor(private readonly maxPayloadBytes = 16 * 1024 * 1024) {}

  /** Bytes held back waiting for the rest of a frame. */
  get buffered(): number {
    return this.pending?.length ?? 0;
  }

  /** Feeds a chunk; `chunk` may be reused by the caller afterwards (nothing keeps a view of it). */
  push(chunk: Buffer, onFrame: FrameHandler): void {
    let buf = chunk;
    if (this.pending) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = undefined;
    }
    let off = 0;
    const end = buf.length;
    while (end - off >= 2) {
      const b0 = buf.readUInt8(off);
      const b1 = buf.readUInt8(off + 1);
      if ((b1 & 0x80) !== 0) throw new FramingError('a server frame must not be masked');
      if ((b0 & 0x70) !== 0) throw new FramingError('reserved bits set (no extension was negotiated)');
      if ((b0 & 0x80) === 0 || (b0 & 0x0f) === Opcode.Continuation) throw new FramingError('fragmented frames are not supported');
      const len7 = b1 & 0x7f;
      let header = 2;
      let len = len7;
      if (len7 === 126) {
        header = 4;
        if (end - off < header) break;
        len = buf.readUInt16BE(off + 2);
      } else if (len7 === 127) {
        header = 10;
        if (end - off < header) break;
        const hi = buf.readUInt32BE(off + 2);
        if (hi >= 0x20_0000) throw new FramingError('frame length beyond 2^53');
        len = hi * 0x1_0000_0000 + buf.readUInt32BE(off + 6);
      }
      if (len > this.maxPayloadBytes) throw new FramingError(`frame of ${len} bytes exceeds ${this.maxPayloadBytes}`);
      if (end - off < header + len) break;
      onFrame(b0 & 0x0f, buf, off + header, off + header + len);
      off += header + len;
    }
    // Copy: the chunk is usually a read buffer shared by every socket of the process.
    if (off < end) this.pending = Buffer.from(buf.subarray(off));
  }
}
