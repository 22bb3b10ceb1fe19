import WebSocket from 'ws';
import { performance } from 'node:perf_hooks';
import { Packr } from 'msgpackr';
import type { Encoding } from './frames.js';
import { PROTOBUF_PONG, protobufReplies } from './protobuf-wire.js';
import type { PauseWatch } from './pause-watch.js';

// The test's own reader of server frames: it must survive whatever the engine sends back.
const reader = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint' });
const writer = new Packr({ useRecords: false });

/** What every fuzz socket counts, shared by the whole fleet. */
export interface SocketCounters {
  /** Replies by result: `ok` or the error code. */
  replies: Map<string, number>;
  /** Close codes as the client saw them (1006: the connection dropped without a close frame). */
  closes: Map<number, number>;
  pushes: number;
  /** Server frames this reader could not decode (too deep for it, say): counted, not a failure. */
  unreadable: number;
}

export function newCounters(): SocketCounters {
  return { replies: new Map(), closes: new Map(), pushes: 0, unreadable: 0 };
}

export type Settled = 'answered' | 'closed' | 'timeout';

/** A protocol client that sends whatever it is given and waits for replies by id, or for the close. */
export class FuzzSocket {
  readonly ws: WebSocket;
  closeCode: number | undefined;
  readonly opened: Promise<boolean>;
  readonly closed: Promise<number>;
  private readonly answered = new Set<number>();
  /** This side ended the connection: its close is not the engine's answer, and is not counted. */
  private terminated = false;
  private wake: (() => void) | undefined;

  constructor(url: string, readonly encoding: Encoding, private readonly counters: SocketCounters) {
    this.ws = new WebSocket(url, encoding === 'json' ? [] : [`centrifuge-${encoding}`], { handshakeTimeout: 5000 });
    this.closed = new Promise((resolve) => {
      this.ws.once('close', (code) => {
        this.closeCode = code;
        if (!this.terminated) counters.closes.set(code, (counters.closes.get(code) ?? 0) + 1);
        this.wake?.();
        resolve(code);
      });
    });
    this.opened = new Promise((resolve) => {
      this.ws.once('open', () => resolve(true));
      this.ws.once('error', () => resolve(false));
      void this.closed.then(() => resolve(false));
    });
    this.ws.on('error', () => {});
    this.ws.on('message', (data: Buffer, isBinary) => this.read(data, isBinary));
  }

  get isOpen(): boolean {
    return this.closeCode === undefined && this.ws.readyState === WebSocket.OPEN;
  }

  send(data: string | Buffer, binary: boolean): void {
    if (this.isOpen) this.ws.send(data, { binary });
  }

  /**
   * Resolves once every id has a reply, the socket closed, or the time is up. With a watch, time
   * the harness itself spent stalled does not count against the engine.
   */
  async settle(ids: readonly number[], timeoutMs: number, watch?: PauseWatch): Promise<Settled> {
    const started = performance.now();
    for (;;) {
      if (ids.every((id) => this.answered.has(id))) return 'answered';
      if (!this.isOpen) return 'closed';
      const left = timeoutMs - (watch ? watch.elapsed(started) : performance.now() - started);
      if (left <= 0) return 'timeout';
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  terminate(): void {
    this.terminated = true;
    this.ws.terminate();
  }

  private read(data: Buffer, isBinary: boolean): void {
    let messages: unknown[];
    try {
      messages = this.encoding === 'protobuf' && isBinary
        ? protobufReplies(data)
        : this.encoding === 'msgpack' && isBinary
          ? (reader.unpackMultiple(data) ?? [])
          : data.toString().split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown);
    } catch {
      this.counters.unreadable++;
      return;
    }
    for (const m of messages) {
      if (m === null || typeof m !== 'object') continue;
      const msg = m as { id?: unknown; error?: { code?: unknown }; push?: unknown };
      if (typeof msg.id === 'number' && msg.id > 0) {
        const result = msg.error ? String(msg.error.code) : 'ok';
        this.counters.replies.set(result, (this.counters.replies.get(result) ?? 0) + 1);
        this.answered.add(msg.id);
      } else if (msg.push !== undefined) this.counters.pushes++;
      else if (Object.keys(msg).length === 0) {
        // A server ping: answer it, as a client that said nothing about pong would.
        if (this.encoding === 'protobuf') this.send(PROTOBUF_PONG, true);
        else this.send(this.encoding === 'msgpack' ? writer.pack({}) : '{}', this.encoding === 'msgpack');
      }
    }
    this.wake?.();
  }
}
