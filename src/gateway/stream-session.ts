import { randomUUID } from 'node:crypto';
import type { HttpResponse } from 'uWebSockets.js';
import {
  type Codec, type Command, DisconnectCode, ErrorCode, type ServerMessage, disconnectReasons,
} from '../protocol/index.js';
import { deltaTopicOf, topicOf } from '../broker/index.js';
import type { ConnectionHandler, SocketPort } from './ports.js';
import type { Waiter } from './delta-waiters.js';
import { PING_CHANNEL } from './session.js';
import { TokenBucket } from './token-bucket.js';
import type { StreamTopics } from './stream-topics.js';
import type { StreamWrites } from './stream-writes.js';
import { encodeEach } from './encode-each.js';
import { type StreamFrame, streamChunk } from './stream-chunk.js';
import { writeCorsHeaders } from '../http/index.js';

/**
 * The four HTTP transports. Bidirectional ones (http_stream, sse) take later commands through
 * `/emulation`; the uni ones take nothing after connect and get pushes without the `{push}` wrapper.
 */
export type StreamKind = 'http_stream' | 'sse' | 'uni_http_stream' | 'uni_sse';

export interface StreamSessionOptions {
  kind: StreamKind;
  codec: Codec;
  remoteAddress: string;
  /** The allowed origin of a browser page on another origin: the stream's headers carry CORS for it. */
  cors?: string;
  rate: { perSecond: number; burst: number };
  /** Bytes written while the socket could not take them before the reader counts as slow (3008). */
  maxBackpressureBytes: number;
  /** A slow reader whose backlog does not drain within this time is cut without a goodbye. */
  slowGiveUpMs: number;
  topics: StreamTopics;
  /** Where every write of the session waits for the end of the current callback. */
  writes: StreamWrites;
  /** The session ended (either side); `byServer` is false when the client went away. */
  onEnd: (session: StreamSession, code: number, byServer: boolean) => void;
  onError: (where: string, err: unknown) => void;
}

const NEVER_LATE = Number.MAX_SAFE_INTEGER;

/** The disconnect a uni client gets for a refused connect: it cannot read a reply error. */
function uniDisconnectOf(code: number): DisconnectCode {
  if (code === ErrorCode.Unauthorized || code === ErrorCode.TokenExpired) return DisconnectCode.InvalidToken;
  if (code === ErrorCode.TooManyRequests) return DisconnectCode.TooManyRequests;
  if (code === ErrorCode.BadRequest) return DisconnectCode.BadRequest;
  if (code === ErrorCode.PermissionDenied) return DisconnectCode.PermissionDenied;
  return DisconnectCode.ServerError;
}

/**
 * One HTTP-streaming, SSE or uni session: the SocketPort its connection actor drives, over one
 * long uWebSockets.js response. Writes never queue in JavaScript: uWS keeps what the socket does
 * not take, and the bytes written since it last drained are counted; past the backpressure limit
 * the reader is slow (3008), as a WebSocket one is.
 */
export class StreamSession implements SocketPort, Waiter {
  readonly session = randomUUID();
  readonly kind: StreamKind;
  readonly codec: Codec;
  readonly remoteAddress: string;
  readonly uni: boolean;
  readonly bucket: TokenBucket;
  readonly openedAt = Date.now();
  handler: ConnectionHandler | undefined;
  connectedAt = 0;
  private pongAt = 0;
  closed = false;
  /** The response is done with (ended, closed or aborted): uWS forbids touching it again. */
  private finished = false;
  private headersSent = false;
  /** Bytes handed to uWS since a write last came back short; 0 while the socket keeps up. */
  private behind = 0;
  private slow = false;
  private readonly topics = new Set<string>();
  /** Wait topics of this session's delta subscriptions still waiting for a whole publication. */
  private readonly waiting = new Set<string>();
  /** Delta works as over a WebSocket: the fan-out's shared frames, written to this session. */
  readonly deltaTopics = true;

  constructor(private readonly res: HttpResponse, private readonly opts: StreamSessionOptions) {
    this.kind = opts.kind;
    this.codec = opts.codec;
    this.remoteAddress = opts.remoteAddress;
    this.uni = opts.kind === 'uni_http_stream' || opts.kind === 'uni_sse';
    this.bucket = new TokenBucket(opts.rate.perSecond, opts.rate.burst);
  }

  /** Uni clients cannot answer pings: they are never late. */
  get lastPongAt(): number {
    return this.uni ? NEVER_LATE : this.pongAt;
  }

  set lastPongAt(at: number) {
    this.pongAt = at;
  }

  get backlogBytes(): number {
    return this.behind;
  }

  /** Sends the status line and headers now (SSE: so that EventSource opens before the first event). */
  open(): void {
    if (this.finished) return;
    this.res.cork(() => this.begin(this.kind === 'sse' || this.kind === 'uni_sse' ? '\r\n' : undefined));
  }

  /** A frame's commands, rate-limited as WebSocket ones are; false when the actor cannot take more. */
  take(commands: Command[], receivedAt: number): void {
    if (this.closed) return;
    const out: Command[] = [];
    let limited = 0;
    for (const cmd of commands) {
      if ('pong' in cmd) {
        this.pongAt = Date.now();
        continue;
      }
      if (limited > 0 || !this.bucket.take(receivedAt)) limited++;
      out.push(cmd);
    }
    if (out.length === 0) return;
    if (!this.handler?.frame({ commands: out, limited, receivedAt })) this.close(DisconnectCode.TooManyRequests);
  }

  send(messages: readonly ServerMessage[]): void {
    if (this.closed || messages.length === 0) return;
    const out = this.uni ? this.forUni(messages) : messages;
    if (out === undefined || out.length === 0) return;
    let frame: string | Uint8Array;
    try {
      frame = this.codec.encode(out);
    } catch (err) {
      this.opts.onError(`reply-encode-${this.codec.name}`, err);
      frame = encodeEach(this.codec, out);
    }
    this.writeFrame(frame);
  }

  /**
   * What a uni client reads of the actor's messages: pushes bare, the connect result as a
   * `connect` push, pings as they are; a refused connect becomes a disconnect.
   */
  private forUni(messages: readonly ServerMessage[]): ServerMessage[] | undefined {
    const out: ServerMessage[] = [];
    for (const m of messages) {
      const r = m as Record<string, unknown>;
      if (r.push !== undefined) out.push(r.push as ServerMessage);
      else if (r.connect !== undefined) {
        const { pong: _pong, ...result } = r.connect as Record<string, unknown>;
        out.push({ connect: result } as unknown as ServerMessage);
      } else if (r.error !== undefined) {
        const err = r.error as { code: number; message: string };
        this.close(uniDisconnectOf(err.code), err.message);
        return undefined;
      } else if (r.id === undefined) out.push(m);
    }
    return out;
  }

  /**
   * A frame of the fan-out, framed and in bytes once for all sessions of this kind; called by
   * StreamTopics in a pass of StreamWrites. A session closed by the server since the frame was
   * published still gets it: its goodbye was queued after it.
   */
  deliver(frame: StreamFrame): void {
    const chunk = frame.for(this.kind);
    if (chunk.byteLength > 0) this.write(chunk);
  }

  private writeFrame(frame: string | Uint8Array): void {
    const chunk = streamChunk(this.kind, frame);
    this.opts.writes.run(() => this.write(chunk), 1, chunk.length);
  }

  /** Writes now: only from a pass of StreamWrites, outside any other socket's callback. */
  private write(chunk: string | Uint8Array): void {
    if (this.finished || this.slow) return;
    const size = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    if (this.behind > 0 && this.behind + size > this.opts.maxBackpressureBytes) {
      this.slowReader();
      return;
    }
    let sent = false;
    this.res.cork(() => {
      this.begin();
      sent = this.res.write(chunk);
    });
    if (sent) return;
    if (this.behind === 0) {
      this.res.onWritable(() => {
        // uWS sends what it kept by itself; this only says the backlog drained.
        this.behind = 0;
        if (this.slow) this.goodbye(DisconnectCode.Slow, disconnectReasons[DisconnectCode.Slow]);
        return true;
      });
    }
    this.behind += size;
  }

  private begin(first?: string): void {
    if (this.headersSent) return;
    this.headersSent = true;
    const sse = this.kind === 'sse' || this.kind === 'uni_sse';
    const type = sse ? 'text/event-stream; charset=utf-8' : this.codec.binary ? 'application/octet-stream' : 'application/x-ndjson';
    this.res.writeStatus('200 OK')
      .writeHeader('content-type', type)
      .writeHeader('cache-control', 'private, no-cache, no-store, must-revalidate, max-age=0')
      // Tells nginx-like proxies not to buffer the stream.
      .writeHeader('x-accel-buffering', 'no');
    if (this.opts.cors !== undefined) writeCorsHeaders(this.res, this.opts.cors);
    if (first !== undefined) this.res.write(first);
  }

  /**
   * The reader cannot keep up: no more deliveries, and the 3008 goes out once the backlog
   * drained (it would only queue behind it before), or the response is cut if it never does.
   */
  private slowReader(): void {
    if (this.slow) return;
    this.slow = true;
    this.dropTopics();
    const cut = setTimeout(() => {
      if (this.finished) return;
      this.finished = true;
      // end() first: closing runs onAborted at once, which would report a client that left.
      this.end(DisconnectCode.Slow, true);
      this.res.close();
    }, this.opts.slowGiveUpMs);
    cut.unref();
  }

  subscribe(channel: string, delta = false): void {
    if (this.closed || this.slow) return;
    if (!delta) {
      this.join(topicOf(this.codec, channel));
      return;
    }
    // A delta subscriber waits for one whole publication, then the fan-out promotes it.
    const wait = deltaTopicOf(this.codec, channel, 'wait');
    this.join(wait);
    this.waiting.add(wait);
    this.opts.topics.waiters.add(wait, this);
  }

  unsubscribe(channel: string, delta = false): void {
    if (!delta) {
      this.leave(topicOf(this.codec, channel));
      return;
    }
    const wait = deltaTopicOf(this.codec, channel, 'wait');
    this.leave(wait);
    this.leave(deltaTopicOf(this.codec, channel, 'delta'));
    this.stopWaiting(wait);
  }

  /** The fan-out wrote this session's first whole publication to `from`: deltas come on `to` now. */
  promote(from: string, to: string): void {
    if (!this.waiting.delete(from) || this.closed || this.slow) return;
    this.leave(from);
    this.join(to);
  }

  private join(topic: string): void {
    this.topics.add(topic);
    this.opts.topics.add(topic, this);
  }

  private leave(topic: string): void {
    this.topics.delete(topic);
    this.opts.topics.remove(topic, this);
  }

  private stopWaiting(wait?: string): void {
    for (const t of wait === undefined ? [...this.waiting] : [wait]) {
      this.waiting.delete(t);
      this.opts.topics.waiters.remove(t, this);
    }
  }

  connected(): void {
    if (this.closed || this.connectedAt !== 0) return;
    this.connectedAt = Date.now();
    this.pongAt = this.connectedAt;
    this.join(topicOf(this.codec, PING_CHANNEL));
  }

  /** A server disconnect: the client learns the code from a disconnect push, then the response ends. */
  close(code: DisconnectCode, reason: string = disconnectReasons[code]): void {
    if (this.closed) return;
    if (this.slow && !this.finished) {
      this.closed = true;
      return; // the 3008 goes out when the backlog drains (slowReader)
    }
    this.goodbye(code, reason);
  }

  private goodbye(code: number, reason: string): void {
    this.slow = false;
    this.behind = 0;
    const disconnect = { code, reason, reconnect: code < 3500 };
    if (!this.finished) {
      const chunk = streamChunk(this.kind, this.codec.encodeOne(this.uni ? { disconnect } as unknown as ServerMessage : { push: { disconnect } }));
      // After whatever was queued for the session before: its publications, then the disconnect, then the end.
      this.opts.writes.run(() => {
        this.write(chunk);
        if (this.finished) return;
        this.finished = true;
        this.res.cork(() => {
          this.begin();
          this.res.end();
        });
      }, 1, chunk.length);
    }
    this.end(code, true);
  }

  /** The client went away (uWS onAborted): the response must not be touched again. */
  aborted(): void {
    this.finished = true;
    // A slow reader's socket that uWS timed out is still the server's 3008.
    if (this.slow) this.end(DisconnectCode.Slow, true);
    else this.end(DisconnectCode.ConnectionClosed, false);
  }

  private ended = false;

  private end(code: number, byServer: boolean): void {
    this.closed = true;
    this.dropTopics();
    if (this.ended) return;
    this.ended = true;
    this.opts.onEnd(this, code, byServer);
  }

  private dropTopics(): void {
    this.stopWaiting();
    for (const topic of this.topics) this.opts.topics.remove(topic, this);
    this.topics.clear();
  }
}
