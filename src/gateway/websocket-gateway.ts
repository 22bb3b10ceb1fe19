import * as uWS from 'uWebSockets.js';
import type { HttpRequest, HttpResponse, TemplatedApp, us_socket_context_t, WebSocket } from 'uWebSockets.js';
import {
  type Codec, type Command, DisconnectCode, disconnectReasons, jsonCodec, MalformedFrameError, msgpackCodec, parseCommand, protobufCodec, wireCodecs,
} from '../protocol/index.js';
import { type TopicPort, topicOf } from '../broker/index.js';
import { answerStopped, Detachable, ORIGIN_NOT_ALLOWED, originNotAllowedMessage } from '../http/index.js';
import type { SessionOptions } from './ports.js';
import { PING_CHANNEL, Session, type SocketData } from './session.js';
import { Pinger } from './pinger.js';
import { SocketGuard } from './socket-guard.js';
import { DeltaWaiters } from './delta-waiters.js';

export interface WebSocketGatewayOptions extends SessionOptions {
  path: string;
  /** WebSocket connections served at once; an upgrade beyond it is refused (SUPERNOVA_MAX_CONNECTIONS). */
  maxConnections: number;
  /** Client sockets of any kind let in (see SocketGuard); unset: no cap. */
  maxSockets?: number;
  /** permessage-deflate for clients that offer it (SUPERNOVA_WS_COMPRESSION); off when unset. */
  compression?: WsCompression;
  /** Frames shorter than this go uncompressed (SUPERNOVA_WS_COMPRESSION_MIN_BYTES). */
  compressMinBytes?: number;
}

export type WsCompression = 'off' | 'shared' | 'dedicated';

/**
 * uWebSockets.js' compressor per setting. Inbound frames (small commands) use the shared
 * decompressor either way, whose inflate is bounded by maxPayloadLength. The 4 KB dedicated
 * compressor is the smallest (it negotiates a 512-byte window): enough to hold the previous
 * market snapshots, which is what makes it pay on them.
 */
// The package's typings declare these constants as types only; they are numbers at run time.
const { DISABLED, SHARED_COMPRESSOR, SHARED_DECOMPRESSOR, DEDICATED_COMPRESSOR_4KB } = uWS as unknown as Record<'DISABLED' | 'SHARED_COMPRESSOR' | 'SHARED_DECOMPRESSOR' | 'DEDICATED_COMPRESSOR_4KB', number>;
const COMPRESSORS: Record<WsCompression, number> = {
  off: DISABLED,
  shared: SHARED_COMPRESSOR | SHARED_DECOMPRESSOR,
  dedicated: DEDICATED_COMPRESSOR_4KB | SHARED_DECOMPRESSOR,
};

const SUBPROTOCOL_MSGPACK = 'centrifuge-msgpack';
const SUBPROTOCOL_JSON = 'centrifuge-json';
const SUBPROTOCOL_PROTOBUF = 'centrifuge-protobuf';
/** Why a client was turned away; the label of supernova_connections_refused_total. */
export type RefusalReason = 'limit' | 'memory' | 'shutdown' | 'origin' | 'open_files';

/** A refused client may retry this many seconds later (another node may take it meanwhile). */
const REFUSED_RETRY_AFTER_S = '5';
/** A slow consumer whose backlog does not drain within this time is cut without a close frame. */
const SLOW_CONSUMER_GIVE_UP_MS = 10_000;
/**
 * How far past maxFrameBytes a frame may go and still be read, so that it can be refused with a
 * close frame (1009). uWebSockets.js refuses a frame over its own limit at the frame header by
 * closing the TCP socket, with no close frame (the client sees 1006); under that limit it buffers
 * the frame, so this bounds the extra memory one socket can make it hold. 64 KiB is what a
 * socket may already buffer inbound at the default limit, and small next to the outbound
 * backpressure (1 MiB by default) every socket may hold anyway.
 */
const FRAME_OVERSHOOT_BYTES = 64 * 1024;

/**
 * The WebSocket endpoint: picks the encoding, validates every frame, rate-limits, and hands
 * commands to the connection's actor. Publications never pass here: they go straight from the
 * broker to native topics through topicPort().
 */
export class WebSocketGateway {
  readonly sessions = new Set<Session>();
  /** Delta subscriptions waiting for their first whole publication. */
  readonly deltaWaiters = new DeltaWaiters();
  private readonly pinger: Pinger;
  private readonly guard: SocketGuard | undefined;
  private draining = false;
  private readonly refusedUpgrades: Record<Exclude<RefusalReason, 'open_files'>, number> = { limit: 0, memory: 0, shutdown: 0, origin: 0 };

  constructor(private readonly app: TemplatedApp, private readonly opts: WebSocketGatewayOptions) {
    this.pinger = new Pinger({
      intervalMs: opts.pingIntervalMs,
      pongTimeoutMs: opts.pongTimeoutMs,
      sessions: this.sessions,
      publish: (codec, bytes) => app.publish(topicOf(codec, PING_CHANNEL), bytes, codec.binary),
      codecs: wireCodecs,
    });
    if (opts.maxSockets !== undefined) this.guard = new SocketGuard(opts.maxSockets, () => this.sessions.size);
  }

  get connections(): number {
    return this.sessions.size;
  }

  /** Client sockets open now, HTTP ones included; undefined without a socket cap. */
  get openSockets(): number | undefined {
    return this.guard?.open;
  }

  /** Clients turned away since start, by reason. */
  get refused(): Record<RefusalReason, number> {
    return { ...this.refusedUpgrades, open_files: this.guard?.refused ?? 0 };
  }

  /** The shortest frame sent compressed; Infinity with compression off. */
  private get compressMinBytes(): number {
    return (this.opts.compression ?? 'off') === 'off' ? Infinity : (this.opts.compressMinBytes ?? 0);
  }

  topicPort(): TopicPort {
    const app = this.app;
    const min = this.compressMinBytes;
    // uWebSockets.js compresses for each socket that negotiated deflate (see README, WebSocket
    // compression); the others get the frame as it is.
    return {
      publish: (topic, message, binary) => void app.publish(topic, message, binary, message.length >= min),
      subscriberCount: (topic) => app.numSubscribers(topic),
      promote: (from, to) => this.deltaWaiters.promote(from, to),
    };
  }

  /** Registers the WebSocket route; detach the result once the app is closed (see Detachable). */
  attach(): Detachable<WebSocketGateway> {
    const o = this.opts;
    const { maxBackpressureBytes } = o;
    // The behaviour closes over `self`, never `this` (whose options hold the engine's callbacks).
    const self = new Detachable<WebSocketGateway>(this);
    this.app.ws<SocketData>(o.path, {
      maxPayloadLength: o.maxFrameBytes + FRAME_OVERSHOOT_BYTES,
      maxBackpressure: maxBackpressureBytes,
      closeOnBackpressureLimit: false,
      // Liveness is the protocol's own ping/pong; uWebSockets.js' idle timer would close quiet clients.
      idleTimeout: 0,
      sendPingsAutomatically: false,
      compression: COMPRESSORS[o.compression ?? 'off'],
      upgrade: (res, req, context) => {
        const gateway = self.target;
        if (gateway) gateway.upgrade(res, req, context);
        else answerStopped(res);
      },
      open: (ws) => self.target?.guarded('ws-open', ws, () => self.target?.open(ws)),
      message: (ws, message) => self.target?.guarded('ws-message', ws, () => self.target?.message(ws, message)),
      // A message dropped because the socket is over its backpressure limit: the client cannot
      // keep up, and the protocol promises no silent gaps, so it must reconnect and recover.
      dropped: (ws) => ws.getUserData().session?.slowConsumer(maxBackpressureBytes, SLOW_CONSUMER_GIVE_UP_MS),
      drain: (ws) => ws.getUserData().session?.drained(),
      close: (ws, code) => self.target?.guarded('ws-close', undefined, () => self.target?.closed(ws, code)),
    });
    if (this.guard) this.app.filter((res, count) => self.target?.guard?.counted(res, count));
    return self;
  }

  /**
   * Runs a uWebSockets.js callback so that nothing it throws leaves it (that would end the
   * process): the error is reported and the socket, if still open, is closed with 3004.
   */
  private guarded(where: string, ws: WebSocket<SocketData> | undefined, run: () => void): void {
    try {
      run();
    } catch (err) {
      this.opts.onError(where, err);
      if (!ws) return;
      const session = ws.getUserData().session;
      if (session) session.close(DisconnectCode.ServerError);
      // Failed before it had a session (in open): nothing else would ever close it.
      else ws.end(DisconnectCode.ServerError, disconnectReasons[DisconnectCode.ServerError]);
    }
  }

  start(): void {
    this.pinger.start();
  }

  /** Tells every client to reconnect elsewhere (3001) and refuses new ones. */
  drain(): void {
    this.draining = true;
    this.pinger.stop();
    for (const s of [...this.sessions]) s.close(DisconnectCode.Shutdown);
  }

  stop(): void {
    this.pinger.stop();
  }

  private upgrade(res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void {
    const requested = req.getHeader('sec-websocket-protocol').split(',').map((p) => p.trim()).filter(Boolean);
    const key = req.getHeader('sec-websocket-key');
    const extensions = req.getHeader('sec-websocket-extensions');
    const origin = req.getHeader('origin');
    if (!this.opts.origins.allows(origin, req.getHeader('host'))) {
      this.refusedUpgrades.origin++;
      res.writeStatus('403 Forbidden').writeHeader('content-type', 'application/json')
        .end(JSON.stringify({ error: { code: ORIGIN_NOT_ALLOWED, message: originNotAllowedMessage(origin) } }), true);
      return;
    }
    if (this.draining) return this.refuse(res, 'shutdown', 'SHUTTING_DOWN', 'server is shutting down');
    if (this.sessions.size >= this.opts.maxConnections) {
      return this.refuse(res, 'limit', 'CONNECTION_LIMIT', `this server holds its limit of ${this.opts.maxConnections} connections (SUPERNOVA_MAX_CONNECTIONS); retry later or on another node`);
    }
    if (this.opts.memoryPressure()) {
      return this.refuse(res, 'memory', 'MEMORY_PRESSURE', 'this server is short of memory (SUPERNOVA_MEMORY_HIGH_WATER_BYTES) and takes no new connections; retry later or on another node');
    }
    let codec: Codec = jsonCodec;
    let protocol = '';
    if (requested.includes(SUBPROTOCOL_PROTOBUF)) {
      codec = protobufCodec;
      protocol = SUBPROTOCOL_PROTOBUF;
    } else if (requested.includes(SUBPROTOCOL_MSGPACK)) {
      codec = msgpackCodec;
      protocol = SUBPROTOCOL_MSGPACK;
    } else if (requested.includes(SUBPROTOCOL_JSON)) {
      protocol = SUBPROTOCOL_JSON;
    } else if (requested.length > 0) {
      res.writeStatus('400 Bad Request').writeHeader('content-type', 'application/json')
        .end(JSON.stringify({ error: { code: 'UNSUPPORTED_SUBPROTOCOL', message: `supported subprotocols: ${SUBPROTOCOL_JSON} (default), ${SUBPROTOCOL_MSGPACK}, ${SUBPROTOCOL_PROTOBUF}` } }));
      return;
    }
    const remote = Buffer.from(res.getRemoteAddressAsText()).toString();
    res.upgrade<SocketData>({ session: undefined, codec, remote }, key, protocol, extensions, context);
  }

  /**
   * A refused upgrade is answered and its socket closed: kept alive, a client that does not
   * hang up (or many of them) would still hold the descriptors the limit is there to save.
   */
  private refuse(res: HttpResponse, reason: Exclude<RefusalReason, 'open_files' | 'origin'>, code: string, message: string): void {
    this.refusedUpgrades[reason]++;
    res.writeStatus('503 Service Unavailable').writeHeader('content-type', 'application/json').writeHeader('retry-after', REFUSED_RETRY_AFTER_S)
      .end(JSON.stringify({ error: { code, message } }), true);
  }

  private open(ws: WebSocket<SocketData>): void {
    this.guard?.upgraded();
    const data = ws.getUserData();
    const session = new Session(ws, data.codec, data.remote, { perSecond: this.opts.commandsPerSecond, burst: this.opts.commandBurst }, this.opts.onDisconnect, this.opts.onError, this.compressMinBytes, this.deltaWaiters);
    data.session = session;
    this.sessions.add(session);
    session.handler = this.opts.acceptor.open(session);
  }

  private message(ws: WebSocket<SocketData>, message: ArrayBuffer): void {
    const session = ws.getUserData().session;
    if (!session || session.closed) return;
    if (message.byteLength > this.opts.maxFrameBytes) {
      session.closeTooBig(this.opts.maxFrameBytes);
      return;
    }
    const now = performance.now();
    const commands: Command[] = [];
    let limited = 0;
    try {
      for (const raw of session.codec.decode(message)) {
        const cmd = parseCommand(raw);
        if ('pong' in cmd) {
          session.lastPongAt = Date.now();
          continue;
        }
        if (limited > 0 || !session.bucket.take(now)) limited++;
        commands.push(cmd);
      }
    } catch (err) {
      if (!(err instanceof MalformedFrameError)) throw err;
      this.opts.log.debug({ err: err.message, remote: session.remoteAddress }, 'malformed frame');
      session.close(DisconnectCode.BadRequest);
      return;
    }
    if (commands.length === 0) return;
    if (!session.handler?.frame({ commands, limited, receivedAt: now })) {
      session.close(DisconnectCode.TooManyRequests);
    }
  }

  private closed(ws: WebSocket<SocketData>, code: number): void {
    const session = ws.getUserData().session;
    if (!session) return;
    if (session.markClosed()) this.opts.onClientClose(code);
    this.sessions.delete(session);
    session.handler?.closed(code);
  }
}
