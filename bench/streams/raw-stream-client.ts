import { connect, type Socket } from 'node:net';
import { headEnd } from '../clients/ws-framing.js';
import { ChunkedDecoder } from './chunked-decoder.js';
import { LineAssembler } from './stream-lines.js';

export type StreamTransport = 'http_stream' | 'sse';

export interface RawStreamClientOptions {
  host: string;
  port: number;
  transport: StreamTransport;
  /** The connect (and subscribe) commands, one JSON per line: the body, or SSE's `cf_connect`. */
  commands: string;
  handshakeTimeoutMs: number;
  /** One read buffer shared by every client of the process (see RawWsClient). */
  readBuffer: Buffer;
}

export interface RawStreamClientEvents {
  /** The 200 head arrived: the stream is open. */
  open(client: RawStreamClient): void;
  /** Bytes arrived: called once per TCP read, before its lines (one clock read per read). */
  read(client: RawStreamClient): void;
  /** Whole lines of the body, `buf[start, end)`, valid only during the call. */
  lines(client: RawStreamClient, buf: Buffer, start: number, end: number): void;
  /** Closed for any reason (the server ended the response, the socket failed, or we closed). */
  close(client: RawStreamClient, problem: string | undefined): void;
}

const MAX_HEAD_BYTES = 16 * 1024;

/**
 * One HTTP-streaming or SSE session over a plain TCP socket: the request is written by hand and
 * the response read with the chunked decoder and the line assembler, so a read costs one callback
 * and a scan of its bytes (no IncomingMessage, no web streams, no Buffer per read).
 */
export class RawStreamClient {
  state: 'connecting' | 'open' | 'closed' = 'connecting';
  private socket: Socket | undefined;
  private head: Buffer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reported = false;
  private readonly assembler = new LineAssembler((buf, start, end) => this.events.lines(this, buf, start, end));
  /** Undefined for a body without chunked coding (read until the socket closes). */
  private decoder: ChunkedDecoder | undefined;

  constructor(private readonly opts: RawStreamClientOptions, private readonly events: RawStreamClientEvents) {}

  connect(): void {
    const o = this.opts;
    const socket = connect({
      host: o.host,
      port: o.port,
      noDelay: true,
      onread: { buffer: o.readBuffer, callback: (n, buf) => this.onBytes(Buffer.from(buf.buffer, buf.byteOffset, n)) },
    });
    this.socket = socket;
    this.timer = setTimeout(() => this.fail('no response head in time'), o.handshakeTimeoutMs);
    socket.once('connect', () => socket.write(this.request()));
    socket.on('error', (err) => this.fail(err.message));
    socket.once('close', () => this.finish(this.state === 'open' ? 'the server ended the stream' : 'closed before the response head'));
  }

  /** Ends the session from our side (the server releases it when the socket goes). */
  close(): void {
    this.reported = true;
    this.state = 'closed';
    clearTimeout(this.timer);
    this.socket?.destroy();
  }

  private request(): string {
    const o = this.opts;
    const host = `Host: ${o.host}:${o.port}\r\n`;
    if (o.transport === 'sse') {
      return `GET /connection/sse?cf_connect=${encodeURIComponent(o.commands)} HTTP/1.1\r\n${host}Accept: text/event-stream\r\n\r\n`;
    }
    return `POST /connection/http_stream HTTP/1.1\r\n${host}Content-Type: application/json\r\n`
      + `Content-Length: ${Buffer.byteLength(o.commands)}\r\n\r\n${o.commands}`;
  }

  private onBytes(chunk: Buffer): boolean {
    try {
      if (this.state === 'connecting') this.onHeadBytes(chunk);
      else if (this.state === 'open') {
        this.events.read(this);
        this.body(chunk, 0);
      }
    } catch (err) {
      this.fail(err instanceof Error ? err.message : String(err));
    }
    return true;
  }

  private onHeadBytes(chunk: Buffer): void {
    const buf = this.head ? Buffer.concat([this.head, chunk]) : chunk;
    const end = headEnd(buf);
    if (end === -1) {
      if (buf.length > MAX_HEAD_BYTES) throw new Error('response head too large');
      this.head = Buffer.from(buf);
      return;
    }
    this.head = undefined;
    const head = buf.toString('latin1', 0, end);
    const status = head.slice(0, head.indexOf('\r\n'));
    if (!/^HTTP\/1\.1 200\b/.test(status)) throw new Error(`stream refused: ${status}`);
    if (/\r\ntransfer-encoding:[^\r]*chunked/i.test(head)) this.decoder = new ChunkedDecoder((b, s, e) => this.assembler.push(b, s, e));
    clearTimeout(this.timer);
    this.state = 'open';
    this.events.open(this);
    if (end < buf.length && this.state === 'open') {
      this.events.read(this);
      this.body(buf, end);
    }
  }

  private body(buf: Buffer, start: number): void {
    if (!this.decoder) {
      this.assembler.push(buf, start, buf.length);
      return;
    }
    this.decoder.push(buf, start, buf.length);
    if (this.decoder.done) this.socket?.end();
  }

  private fail(problem: string): void {
    this.finish(problem);
    this.socket?.destroy();
  }

  private finish(problem: string | undefined): void {
    clearTimeout(this.timer);
    if (this.reported) return;
    this.reported = true;
    this.state = 'closed';
    this.events.close(this, problem);
  }
}
