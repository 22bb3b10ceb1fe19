import { epochMs } from '../../shared/clock.js';
import { RawWsClient } from '../../clients/raw-ws-client.js';
import { scanTextFrame, type LineSink } from '../../clients/push-scanner.js';
import type { Recorder } from '../recorder.js';
import { RequestError, type LoadPayload, type LoadUser } from './load-user.js';

export interface RawUserOptions {
  host: string;
  port: number;
  path: string;
  channel: string;
  /** Source address to bind (spread over 127.0.0.x above one address' ephemeral ports). */
  localAddress: string | undefined;
  requestTimeoutMs: number;
  /** One read buffer shared by every raw user of the process (see RawWsClient). */
  readBuffer: Buffer;
}

interface Pending {
  method: string;
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

interface Reply {
  id?: unknown;
  error?: { code?: unknown; message?: unknown };
}

const CONNECT_ID = 1;
const SUBSCRIBE_ID = 2;

/**
 * A user on the benchmark's raw WebSocket client, for scale: the same protocol as the SDK (connect,
 * subscribe, pong, publish, rpc) with none of its per-message cost. Publications are timed by
 * scanning bytes; only replies are parsed.
 */
export class RawUser implements LoadUser {
  private readonly client: RawWsClient;
  private readonly pending = new Map<number, Pending>();
  private nextId = SUBSCRIBE_ID + 1;
  private now = 0;
  private closing = false;
  private subscribed = false;
  private readonly closed: Promise<void>;
  private onClosed: () => void = () => {};

  private readonly sink: LineSink = {
    // One sample per publication, from its first stamp, as the SDK user records: the recorder's
    // message count is per publication, and the load test's payloads carry a single stamp.
    push: (ts, first) => {
      if (first && !Number.isNaN(ts)) this.recorder.delivered(this.now - ts);
    },
    ping: () => this.client.sendText('{}'),
    other: (line) => this.onReply(line),
  };

  constructor(private readonly o: RawUserOptions, private readonly recorder: Recorder) {
    this.closed = new Promise((resolve) => (this.onClosed = resolve));
    this.client = new RawWsClient(
      { host: o.host, port: o.port, path: o.path, handshakeTimeoutMs: o.requestTimeoutMs, readBuffer: o.readBuffer, ...(o.localAddress ? { localAddress: o.localAddress } : {}) },
      {
        open: (c) => c.sendText(`{"id":${CONNECT_ID},"connect":{}}\n{"id":${SUBSCRIBE_ID},"subscribe":{"channel":${JSON.stringify(o.channel)}}}`),
        read: () => {
          this.now = epochMs();
        },
        text: (_c, data, start, end) => scanTextFrame(data, this.sink, start, end),
        close: (_c, code, problem) => this.onClose(code, problem),
      },
    );
  }

  get inFlight(): number {
    return this.pending.size;
  }

  connect(): Promise<void> {
    const subscribed = this.expect(SUBSCRIBE_ID, 'subscribe');
    // A connect error comes back under id 1 (and the server closes): surface it as the failure.
    const connected = this.expect(CONNECT_ID, 'connect');
    this.client.connect();
    return Promise.all([connected, subscribed]).then(() => {
      this.subscribed = true;
    });
  }

  publish(data: LoadPayload): Promise<void> {
    return this.request('publish', `"publish":{"channel":${JSON.stringify(this.o.channel)},"data":${JSON.stringify(data)}}`);
  }

  rpc(method: string, params: unknown): Promise<void> {
    return this.request('rpc', `"rpc":{"method":${JSON.stringify(method)},"data":${JSON.stringify(params ?? null)}}`);
  }

  async close(): Promise<void> {
    this.closing = true;
    this.client.close();
    await Promise.race([this.closed, new Promise((r) => setTimeout(r, 2000))]);
    this.client.destroy();
  }

  private request(method: string, body: string): Promise<void> {
    if (this.client.state !== 'open' || !this.subscribed) return Promise.reject(new RequestError(`${method}:not-connected`, 'not connected'));
    const id = this.nextId++;
    const reply = this.expect(id, method);
    this.client.sendText(`{"id":${id},${body}}`);
    return reply;
  }

  private expect(id: number, method: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestError(`${method}:timeout`, `no reply within ${this.o.requestTimeoutMs} ms`));
      }, this.o.requestTimeoutMs);
      this.pending.set(id, { method, resolve, reject, timer });
    });
  }

  private onReply(line: Buffer): void {
    let reply: Reply;
    try {
      reply = JSON.parse(line.toString('utf8')) as Reply;
    } catch {
      this.recorder.error('protocol:unparseable');
      return;
    }
    if (typeof reply.id !== 'number') return; // join/leave and other pushes: not measured
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    clearTimeout(p.timer);
    if (reply.error) p.reject(new RequestError(`${p.method}:${String(reply.error.code)}`, String(reply.error.message)));
    else p.resolve();
  }

  private onClose(code: number, problem: string | undefined): void {
    if (!this.closing && this.subscribed) this.recorder.error(`disconnect:${code}`);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new RequestError(`${p.method}:closed`, problem ?? `connection closed (${code})`));
    }
    this.pending.clear();
    this.onClosed();
  }
}
