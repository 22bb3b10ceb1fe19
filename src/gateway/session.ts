import type { WebSocket } from 'uWebSockets.js';
import { type Codec, DisconnectCode, type ServerMessage, disconnectReasons } from '../protocol/index.js';
import { deltaTopicOf, topicOf } from '../broker/index.js';
import type { ConnectionHandler, SocketPort } from './ports.js';
import type { DeltaWaiters, Waiter } from './delta-waiters.js';
import { TokenBucket } from './token-bucket.js';
import { encodeEach } from './encode-each.js';

export interface SocketData { session: Session | undefined; codec: Codec; remote: string }


/** RFC 6455 close code of a message too big to process. */
export const WS_CLOSE_MESSAGE_TOO_BIG = 1009;

/** The server ping goes to every connected socket through one native topic per encoding. */
export const PING_CHANNEL = ' ping';

/** One WebSocket: the port its actor uses, and the gateway's per-socket bookkeeping. */
export class Session implements SocketPort, Waiter {
  handler: ConnectionHandler | undefined;
  closed = false;
  private slowSince = 0;
  private slowLimit = 0;
  readonly openedAt = Date.now();
  connectedAt = 0;
  lastPongAt = 0;
  readonly bucket: TokenBucket;
  /** Wait topics of this socket's delta subscriptions still waiting for a whole publication. */
  private readonly waiting = new Set<string>();
  readonly deltaTopics: boolean;

  constructor(
    private readonly ws: WebSocket<SocketData>,
    readonly codec: Codec,
    readonly remoteAddress: string,
    rate: { perSecond: number; burst: number },
    private readonly onServerClose: (code: number) => void,
    private readonly onError: (where: string, err: unknown) => void,
    /** Replies at least this long are sent compressed where the socket negotiated deflate. */
    private readonly compressMinBytes = Infinity,
    private readonly waiters?: DeltaWaiters,
  ) {
    this.bucket = new TokenBucket(rate.perSecond, rate.burst);
    this.deltaTopics = waiters !== undefined;
  }

  send(messages: readonly ServerMessage[]): void {
    if (this.closed || messages.length === 0) return;
    let frame: string | Uint8Array;
    try {
      frame = this.codec.encode(messages);
    } catch (err) {
      this.onError(`reply-encode-${this.codec.name}`, err);
      frame = encodeEach(this.codec, messages);
    }
    this.ws.send(frame, this.codec.binary, frame.length >= this.compressMinBytes);
  }

  subscribe(channel: string, delta = false): void {
    if (this.closed) return;
    if (!delta || !this.waiters) {
      this.ws.subscribe(topicOf(this.codec, channel));
      return;
    }
    // A delta subscriber waits for one whole publication, then the fan-out promotes it.
    const wait = deltaTopicOf(this.codec, channel, 'wait');
    this.ws.subscribe(wait);
    this.waiting.add(wait);
    this.waiters.add(wait, this);
  }

  unsubscribe(channel: string, delta = false): void {
    if (this.closed) return;
    if (!delta) {
      this.ws.unsubscribe(topicOf(this.codec, channel));
      return;
    }
    const wait = deltaTopicOf(this.codec, channel, 'wait');
    this.ws.unsubscribe(wait);
    this.ws.unsubscribe(deltaTopicOf(this.codec, channel, 'delta'));
    this.stopWaiting(wait);
  }

  promote(from: string, to: string): void {
    if (!this.waiting.delete(from) || this.closed || this.slowSince !== 0) return;
    this.ws.unsubscribe(from);
    this.ws.subscribe(to);
  }

  private stopWaiting(wait?: string): void {
    for (const t of wait === undefined ? [...this.waiting] : [wait]) {
      this.waiting.delete(t);
      this.waiters?.remove(t, this);
    }
  }

  connected(): void {
    if (this.closed || this.connectedAt !== 0) return;
    this.connectedAt = Date.now();
    this.lastPongAt = this.connectedAt;
    this.ws.subscribe(topicOf(this.codec, PING_CHANNEL));
  }

  close(code: DisconnectCode, reason: string = disconnectReasons[code]): void {
    this.end(code, reason);
  }

  /** A frame over the limit (RFC 6455's 1009): the client learns why, where a TCP drop says nothing. */
  closeTooBig(limit: number): void {
    this.end(WS_CLOSE_MESSAGE_TOO_BIG, `message too big (limit ${limit} bytes)`);
  }

  private end(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.stopWaiting();
    this.onServerClose(code);
    this.ws.end(code, reason);
  }

  /**
   * A message was dropped: the client cannot keep up. It must learn so (3008) and recover on
   * reconnect, but a close frame is dropped too while the socket is over its backpressure limit.
   * So: stop all deliveries, and send 3008 once the backlog has drained below the limit (or cut
   * the socket if it never drains). Deferred, because uWebSockets.js reports drops from inside a
   * topic publish, where changing a subscriber's topics would corrupt the iteration.
   */
  slowConsumer(maxBackpressure: number, giveUpMs: number): void {
    if (this.closed || this.slowSince !== 0) return;
    this.slowSince = Date.now();
    setImmediate(() => {
      if (this.closed) return;
      this.stopWaiting();
      for (const topic of this.ws.getTopics()) this.ws.unsubscribe(topic);
      this.slowLimit = maxBackpressure;
      this.drained();
      const cut = setTimeout(() => { if (!this.closed) { this.closed = true; this.onServerClose(DisconnectCode.Slow); this.ws.close(); } }, giveUpMs);
      cut.unref();
    });
  }

  /** uWebSockets.js drained some of the socket's backlog. */
  drained(): void {
    if (this.slowLimit > 0 && !this.closed && this.ws.getBufferedAmount() < this.slowLimit / 2) this.close(DisconnectCode.Slow);
  }

  /**
   * The socket is gone (closed by either side): no uWebSockets.js call is allowed after this.
   * True when the client closed it (the server had not).
   */
  markClosed(): boolean {
    const byClient = !this.closed;
    this.closed = true;
    this.stopWaiting();
    return byClient;
  }
}
