import { connect, type Socket } from 'node:net';
import { randomBytes, randomFillSync } from 'node:crypto';
import { encodeClientFrame, FrameParser, headEnd, Opcode, upgradeProblem, upgradeRequest, type FrameHandler } from './ws-framing.js';

export interface RawWsClientOptions {
  host: string;
  port: number;
  /** Path and query of the upgrade request. */
  path: string;
  localAddress?: string;
  handshakeTimeoutMs: number;
  /** The WebSocket subprotocol to ask for (`centrifuge-protobuf`), if any. */
  protocol?: string;
  /**
   * One read buffer shared by every client of the process: the kernel copies straight into it and
   * no Buffer is allocated per read, which is most of a load client's cost at high message rates.
   */
  readBuffer: Buffer;
}

export interface RawWsClientEvents {
  open(client: RawWsClient): void;
  /** Bytes arrived: called once per TCP read, before its frames (one clock read per read). */
  read(client: RawWsClient): void;
  /** A text frame, `data[start, end)`, valid only during the call. */
  text(client: RawWsClient, data: Buffer, start: number, end: number): void;
  /** A binary frame, likewise; clients that speak no binary encoding leave it out. */
  binary?(client: RawWsClient, data: Buffer, start: number, end: number): void;
  /** Closed for any reason; `code` is the server's close code, 1006 if none was received. */
  close(client: RawWsClient, code: number, problem: string | undefined): void;
}

const CLOSE_NO_STATUS = 1005;
const CLOSE_ABNORMAL = 1006;

/** One WebSocket client over a plain TCP socket, with none of a general client's buffering. */
export class RawWsClient {
  state: 'connecting' | 'open' | 'closed' = 'connecting';
  private socket: Socket | undefined;
  private head: Buffer | undefined;
  private readonly parser = new FrameParser();
  private readonly key = randomBytes(16).toString('base64');
  private readonly mask = Buffer.alloc(4);
  private timer: NodeJS.Timeout | undefined;
  private closeCode = CLOSE_ABNORMAL;
  /** Our Close frame is out (and the socket ended): the server's answering Close needs no echo. */
  private closeSent = false;
  private readonly onFrameBound: FrameHandler = (op, data, start, end) => this.onFrame(op, data, start, end);

  constructor(private readonly opts: RawWsClientOptions, private readonly events: RawWsClientEvents) {}

  connect(): void {
    const o = this.opts;
    const socket = connect({
      host: o.host,
      port: o.port,
      ...(o.localAddress ? { localAddress: o.localAddress } : {}),
      noDelay: true,
      onread: { buffer: o.readBuffer, callback: (n, buf) => this.onBytes(Buffer.from(buf.buffer, buf.byteOffset, n)) },
    });
    this.socket = socket;
    this.timer = setTimeout(() => this.fail('handshake timed out'), o.handshakeTimeoutMs);
    socket.once('connect', () => socket.write(upgradeRequest(o.host, o.port, o.path, this.key, o.protocol)));
    socket.on('error', (err) => this.fail(err.message));
    socket.once('close', () => this.finish(undefined));
  }

  sendText(text: string): void {
    this.send(Opcode.Text, Buffer.from(text));
  }

  sendBinary(payload: Buffer): void {
    this.send(Opcode.Binary, payload);
  }

  /** Starts the closing handshake; the socket is destroyed when the server answers or the socket ends. */
  close(code = 1000): void {
    if (this.state !== 'open') {
      this.destroy();
      return;
    }
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code);
    this.send(Opcode.Close, payload);
    this.closeSent = true;
    this.socket?.end();
  }

  destroy(): void {
    this.socket?.destroy();
  }

  private send(opcode: number, payload: Buffer): void {
    if (this.state !== 'open' || this.closeSent || !this.socket) return;
    randomFillSync(this.mask);
    this.socket.write(encodeClientFrame(opcode, payload, this.mask));
  }

  private onBytes(chunk: Buffer): boolean {
    try {
      if (this.state === 'connecting') this.onHandshakeBytes(chunk);
      else if (this.state === 'open') {
        this.events.read(this);
        this.parser.push(chunk, this.onFrameBound);
      }
    } catch (err) {
      this.fail(err instanceof Error ? err.message : String(err));
    }
    return true;
  }

  private onHandshakeBytes(chunk: Buffer): void {
    const buf = this.head ? Buffer.concat([this.head, chunk]) : chunk;
    const end = headEnd(buf);
    if (end === -1) {
      if (buf.length > 16 * 1024) throw new Error('upgrade response head too large');
      this.head = Buffer.from(buf);
      return;
    }
    this.head = undefined;
    const problem = upgradeProblem(buf.toString('latin1', 0, end), this.key);
    if (problem) throw new Error(problem);
    clearTimeout(this.timer);
    this.state = 'open';
    this.events.open(this);
    // Frames may follow the head in the same read.
    if (end < buf.length && this.state === 'open') {
      this.events.read(this);
      this.parser.push(buf.subarray(end), this.onFrameBound);
    }
  }

  private onFrame(opcode: number, data: Buffer, start: number, end: number): void {
    switch (opcode) {
      case Opcode.Text:
        this.events.text(this, data, start, end);
        return;
      case Opcode.Binary:
        this.events.binary?.(this, data, start, end);
        return;
      case Opcode.Ping:
        this.send(Opcode.Pong, Buffer.from(data.subarray(start, end)));
        return;
      case Opcode.Close:
        this.closeCode = end - start >= 2 ? data.readUInt16BE(start) : CLOSE_NO_STATUS;
        if (!this.closeSent) this.send(Opcode.Close, end - start >= 2 ? Buffer.from(data.subarray(start, start + 2)) : Buffer.alloc(0));
        this.closeSent = true;
        this.state = 'closed';
        this.socket?.end();
        return;
      default:
        // Pong frames carry nothing this benchmark measures.
        return;
    }
  }

  private fail(problem: string): void {
    this.finish(problem);
    this.socket?.destroy();
  }

  private finish(problem: string | undefined): void {
    clearTimeout(this.timer);
    if (this.socket === undefined || this.closeCode < 0) return;
    const code = this.closeCode;
    // Report once: a negative code marks "already reported".
    this.closeCode = -1;
    this.state = 'closed';
    this.events.close(this, code, problem);
  }
}
