import { Packr } from 'msgpackr';
import type { Encoding, FuzzFrame } from './frames.js';
import { PUBLISHABLE } from './frames.js';
import { FuzzSocket, newCounters, type SocketCounters } from './fuzz-socket.js';
import { protobufHandshake } from './protobuf-wire.js';
import type { PauseWatch } from './pause-watch.js';

const packr = new Packr({ useRecords: false });

export interface FleetOptions {
  url: string;
  /** Workers; each holds a JSON, a msgpack and a protobuf socket, so up to three times as many connections. */
  workers: number;
  /** Least time between two frames of one worker: keeps each socket near the engine's command rate. */
  paceMs: number;
  /** How long a frame's commands may go unanswered on an open socket before it counts as a finding. */
  replyTimeoutMs: number;
  /** Every Nth socket skips its connect, so commands before connect are tried too. */
  skipConnectEvery: number;
  /** The harness's stalls, taken out of the reply timeout. */
  watch: PauseWatch;
}

/** A frame as sent, for the report of a failure: the frames sent last are the suspects. */
export interface SentFrame {
  at: number;
  worker: number;
  socket: number;
  kind: string;
  detail: string;
  encoding: Encoding;
  binary: boolean;
  data: string;
  ids: number[];
  fresh: boolean;
}

export interface Unanswered {
  kind: string;
  detail: string;
  encoding: Encoding;
  ids: number[];
  data: string;
}

const RECENT = 400;

/** A pool of fuzz connections that sends frames from a shared queue, reconnecting when the engine closes one. */
export class FuzzFleet {
  readonly counters: SocketCounters = newCounters();
  readonly framesByKind = new Map<string, number>();
  readonly framesByEncoding = new Map<string, number>();
  readonly recent: SentFrame[] = [];
  readonly unanswered: Unanswered[] = [];
  /** Close codes by the kind of the frame the socket was closed after. */
  readonly closesByKind = new Map<string, Map<number, number>>();
  sent = 0;
  opened = 0;
  openFailures = 0;
  private queue: FuzzFrame[] = [];
  private readonly sockets: Partial<Record<Encoding, FuzzSocket>>[];
  private readonly serials: Partial<Record<Encoding, number>>[];
  private stopped = false;

  constructor(private readonly o: FleetOptions) {
    this.sockets = Array.from({ length: o.workers }, () => ({}));
    this.serials = Array.from({ length: o.workers }, () => ({}));
  }

  /** Sends the frames and resolves when each has been answered, closed its socket, or timed out. */
  async run(frames: readonly FuzzFrame[]): Promise<void> {
    this.queue.push(...frames);
    await Promise.all(this.sockets.map((_, w) => this.work(w)));
  }

  stop(): void {
    this.stopped = true;
    this.queue = [];
    for (const slot of this.sockets) for (const s of Object.values(slot)) s?.terminate();
  }

  private async work(w: number): Promise<void> {
    for (let frame = this.queue.shift(); frame && !this.stopped; frame = this.queue.shift()) {
      const started = Date.now();
      const socket = await this.socketFor(w, frame);
      if (!socket) continue;
      this.record(w, frame);
      socket.send(frame.data, frame.binary);
      const settled = await socket.settle(frame.ids, frame.ids.length > 0 ? this.o.replyTimeoutMs : 0, this.o.watch);
      // A frame without ids has nothing to wait for but the close it may earn.
      if (settled === 'closed' || frame.ids.length === 0 || !socket.isOpen) await this.closedAfter(frame.kind, socket);
      if (settled === 'timeout') {
        this.unanswered.push({ kind: frame.kind, detail: frame.detail, encoding: frame.encoding, ids: frame.ids, data: encodeData(frame.data) });
      }
      const wait = this.o.paceMs - (Date.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }

  private async closedAfter(kind: string, socket: FuzzSocket): Promise<void> {
    // A close frame may trail the last reply: wait for it briefly so the right code is counted.
    const code = await Promise.race([socket.closed, new Promise<undefined>((r) => setTimeout(() => r(undefined), this.o.paceMs))]);
    if (code === undefined) return;
    const byCode = this.closesByKind.get(kind) ?? new Map<number, number>();
    byCode.set(code, (byCode.get(code) ?? 0) + 1);
    this.closesByKind.set(kind, byCode);
  }

  /** The worker's socket of the frame's encoding, opened anew when closed or when the frame must start a connection. */
  private async socketFor(w: number, frame: FuzzFrame): Promise<FuzzSocket | undefined> {
    const slot = this.sockets[w] as Partial<Record<Encoding, FuzzSocket>>;
    const current = slot[frame.encoding];
    if (current?.isOpen && !frame.fresh) return current;
    current?.terminate();
    const serial = (this.serials[w] as Partial<Record<Encoding, number>>);
    const n = (serial[frame.encoding] ?? 0) + 1;
    serial[frame.encoding] = n;
    const socket = new FuzzSocket(this.o.url, frame.encoding, this.counters);
    slot[frame.encoding] = socket;
    if (!(await socket.opened)) {
      this.openFailures++;
      await new Promise((r) => setTimeout(r, 50));
      return undefined;
    }
    this.opened++;
    if (!frame.fresh && n % this.o.skipConnectEvery !== 0) {
      // Connect, and subscribe to two channels others publish into, so publications have subscribers of both encodings.
      const channels = [PUBLISHABLE[(w + n) % PUBLISHABLE.length], PUBLISHABLE[(w + 2 * n + 1) % PUBLISHABLE.length]];
      const handshake = [{ id: 1, connect: { name: 'fuzz' } }, ...channels.map((channel, i) => ({ id: 2 + i, subscribe: { channel } }))];
      if (frame.encoding === 'protobuf') socket.send(protobufHandshake(handshake), true);
      else socket.send(frame.encoding === 'msgpack' ? Buffer.concat(handshake.map((c) => packr.pack(c))) : handshake.map((c) => JSON.stringify(c)).join('\n'), frame.encoding === 'msgpack');
      if ((await socket.settle([1, 2, 3], this.o.replyTimeoutMs, this.o.watch)) === 'timeout') {
        this.unanswered.push({ kind: 'handshake', detail: 'connect and two subscribes', encoding: frame.encoding, ids: [1, 2, 3], data: '' });
      }
    }
    return socket;
  }

  private record(w: number, frame: FuzzFrame): void {
    this.sent++;
    this.framesByKind.set(frame.kind, (this.framesByKind.get(frame.kind) ?? 0) + 1);
    this.framesByEncoding.set(frame.encoding, (this.framesByEncoding.get(frame.encoding) ?? 0) + 1);
    this.recent.push({
      at: Date.now(), worker: w, socket: this.serials[w]?.[frame.encoding] ?? 0, kind: frame.kind, detail: frame.detail,
      encoding: frame.encoding, binary: frame.binary, data: encodeData(frame.data), ids: frame.ids, fresh: frame.fresh,
    });
    if (this.recent.length > RECENT) this.recent.splice(0, this.recent.length - RECENT);
  }
}

/** Frames in a report: text as it is, bytes as base64 prefixed with `b64:`. */
export function encodeData(data: string | Buffer): string {
  return typeof data === 'string' ? data : `b64:${data.toString('base64')}`;
}

export function decodeData(data: string): string | Buffer {
  return data.startsWith('b64:') ? Buffer.from(data.slice(4), 'base64') : data;
}
