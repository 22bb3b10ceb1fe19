import type { StreamKind } from './stream-session.js';

/**
 * A `{push: X}` line of the JSON encoding as the bare `X` a uni client reads.
 * JSON.stringify writes `{"push":` first, always.
 */
export function unwrapPushLines(frame: string): string {
  return frame.split('\n').map((line) => (line.startsWith('{"push":') ? line.slice(8, -1) : line)).join('\n');
}

const isSse = (kind: StreamKind): boolean => kind === 'sse' || kind === 'uni_sse';

/**
 * What goes on a stream's wire for one encoded frame: SSE makes each line an event (JSON never
 * holds a raw newline, so a line is one message), HTTP-streaming ends JSON with a newline, and
 * protobuf frames, already length-delimited, go as they are.
 */
export function streamChunk(kind: StreamKind, frame: string | Uint8Array): string | Uint8Array {
  if (typeof frame !== 'string') return frame;
  if (!isSse(kind)) return `${frame}\n`;
  let events = '';
  for (const line of frame.split('\n')) events += `data: ${line}\n\n`;
  return events;
}

/**
 * One fan-out frame, framed for each kind of stream session at most once and turned into bytes
 * once: written to thousands of sessions, a string would be framed, measured and converted to
 * UTF-8 by uWS for every one of them.
 */
export class StreamFrame {
  private readonly chunks = new Map<StreamKind, Uint8Array>();

  constructor(private readonly frame: string | Uint8Array) {}

  for(kind: StreamKind): Uint8Array {
    let chunk = this.chunks.get(kind);
    if (chunk === undefined) {
      const uni = kind === 'uni_http_stream' || kind === 'uni_sse';
      // A uni client reads JSON pushes bare; protobuf never reaches a uni session.
      const frame = uni ? (typeof this.frame === 'string' ? unwrapPushLines(this.frame) : new Uint8Array(0)) : this.frame;
      const framed = streamChunk(kind, frame);
      chunk = typeof framed === 'string' ? Buffer.from(framed) : framed;
      this.chunks.set(kind, chunk);
    }
    return chunk;
  }
}
