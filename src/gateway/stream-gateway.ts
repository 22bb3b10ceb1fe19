import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import {
  type Codec, type Command, DisconnectCode, type EmulationRequest, MalformedFrameError, emulationRequestFromJson, emulationRequestFromProtobuf,
  jsonCodec, parseCommand, protobufCodec, wireCodecs,
} from '../protocol/index.js';
import { topicOf } from '../broker/index.js';
import {
  allowedRequestHeaders, answerPreflight, answerStopped, Detachable, MAX_REQUEST_HEADERS_CHARS, ORIGIN_NOT_ALLOWED, originNotAllowedMessage, writeCorsHeaders,
} from '../http/index.js';
import type { SessionOptions } from './ports.js';
import { PING_CHANNEL } from './session.js';
import { Pinger } from './pinger.js';
import { type StreamKind, StreamSession } from './stream-session.js';
import { StreamTopics } from './stream-topics.js';
import { StreamWrites, type StreamWritesStats } from './stream-writes.js';
import { TokenBucket } from './token-bucket.js';

export interface StreamGatewayOptions extends SessionOptions {
  /** Stream sessions served at once, of all four transports; one more is refused with 503 (SUPERNOVA_STREAM_MAX_SESSIONS). */
  maxSessions: number;
  /** Bounds of the writes held for the end of the current callback (SUPERNOVA_STREAM_WRITE_QUEUE_MAX, _BYTES). */
  writeQueue: { maxWrites: number; maxBytes: number };
  /** This node's id, unique in the cluster: the connect reply of a stream gives it and `/emulation` requests name it. */
  node: string;
  /** Hands an emulation request for a session of another node to the node it names; false when no such node listens. */
  forward?: (req: EmulationRequest, protobuf: boolean) => Promise<boolean>;
  /** Whether forward() has somewhere to send (a cluster broker runs); without it, 404 at once. */
  forwarding?: () => boolean;
}

/** Why a stream was refused, or an emulation request not delivered; counted in stats(). */
export type StreamRefusal = 'limit' | 'memory' | 'shutdown' | 'origin' | 'bad_request' | 'too_large' | 'no_session' | 'forward_limited';

export interface StreamStats {
  sessions: Record<StreamKind, number>;
  refused: Record<StreamRefusal, number>;
  emulationRequests: number;
  /** Emulation requests handed to the node they name (`out`), and received from other nodes (`in`). */
  forwards: { out: number; in: number };
  /** Passes of the write queue, by why they were made (see StreamWrites). */
  writePasses: StreamWritesStats;
}

/** Under uWS's own 10 s timeout of a socket that takes nothing. */
/** Emulation requests for sessions of other nodes this node hands to the broker, per second. */
const FORWARDS_PER_SECOND = 2000;
const SLOW_GIVE_UP_MS = 5_000;
/** The connect frame is a connect command (with a token) and maybe subscribes: a frame's worth. */
const CONNECT_PARAM = 'cf_connect';
/** A JSON emulation request holds the frame as a JSON string: escaping may double it. */
const ENVELOPE_BYTES = 1024;

/** `cors`: the allowed origin of a page on another origin, whose answers carry CORS headers for it. */
interface ReqState { aborted: boolean; cors?: string }

/** What the preflight of each route allows (the SDKs POST, EventSource GETs). */
const POST_ONLY = 'POST, OPTIONS';
const GET_OR_POST = 'GET, POST, OPTIONS';

const STATUS: Record<number, string> = {
  204: '204 No Content', 400: '400 Bad Request', 403: '403 Forbidden', 404: '404 Not Found', 405: '405 Method Not Allowed', 413: '413 Payload Too Large', 500: '500 Internal Server Error', 503: '503 Service Unavailable',
};

/**
 * HTTP-streaming, SSE and their uni variants: each stream is a session driving the same
 * connection actor as a WebSocket, with the same frame limit, rate limit, pings and disconnect
 * codes; `/emulation` carries a bidirectional client's later commands to its session.
 */
export class StreamGateway {
  private readonly writes: StreamWrites;
  readonly topics: StreamTopics;
  private readonly sessions = new Map<string, StreamSession>();
  private readonly pinger: Pinger;
  private draining = false;
  private readonly refusedCounts: Record<StreamRefusal, number> = { limit: 0, memory: 0, shutdown: 0, origin: 0, bad_request: 0, too_large: 0, no_session: 0, forward_limited: 0 };
  private emulationRequests = 0;
  private readonly forwardCounts = { out: 0, in: 0 };
  private readonly forwards = new TokenBucket(FORWARDS_PER_SECOND, FORWARDS_PER_SECOND);

  constructor(private readonly app: TemplatedApp, private readonly opts: StreamGatewayOptions) {
    this.writes = new StreamWrites({ ...opts.writeQueue, onError: opts.onError });
    this.topics = new StreamTopics(this.writes);
    const sessions = this.sessions;
    this.pinger = new Pinger({
      intervalMs: opts.pingIntervalMs,
      pongTimeoutMs: opts.pongTimeoutMs,
      sessions: { [Symbol.iterator]: () => sessions.values() },
      publish: (codec, bytes) => this.topics.publish(topicOf(codec, PING_CHANNEL), bytes),
      codecs: wireCodecs,
    });
  }

  get size(): number {
    return this.sessions.size;
  }

  /** The session of an id, if this node holds it (for the cluster's emulation path). */
  get(session: string): StreamSession | undefined {
    return this.sessions.get(session);
  }

  stats(): StreamStats {
    const sessions: Record<StreamKind, number> = { http_stream: 0, sse: 0, uni_http_stream: 0, uni_sse: 0 };
    for (const s of this.sessions.values()) sessions[s.kind]++;
    return { sessions, refused: { ...this.refusedCounts }, emulationRequests: this.emulationRequests, forwards: { ...this.forwardCounts }, writePasses: this.writes.stats() };
  }

  attach(): Detachable<StreamGateway> {
    const self = new Detachable<StreamGateway>(this);
    const on = (run: (g: StreamGateway, res: HttpResponse, req: HttpRequest) => void) => (res: HttpResponse, req: HttpRequest) => {
      const gateway = self.target;
      if (!gateway) return answerStopped(res);
      try {
        run(gateway, res, req);
      } catch (err) {
        // Nothing may leave a uWS callback; the response is answered unless already taken.
        gateway.opts.onError('stream-request', err);
      }
    };
    this.app.post('/connection/http_stream', on((g, res, req) => g.openStream(res, req, 'http_stream')));
    this.app.get('/connection/sse', on((g, res, req) => g.openStream(res, req, 'sse')));
    this.app.post('/connection/sse', on((g, res, req) => g.openStream(res, req, 'sse')));
    this.app.post('/connection/uni_http_stream', on((g, res, req) => g.openStream(res, req, 'uni_http_stream')));
    this.app.get('/connection/uni_sse', on((g, res, req) => g.openStream(res, req, 'uni_sse')));
    this.app.post('/connection/uni_sse', on((g, res, req) => g.openStream(res, req, 'uni_sse')));
    this.app.post('/emulation', on((g, res, req) => g.emulation(res, req)));
    for (const path of ['/connection/http_stream', '/connection/uni_http_stream', '/emulation']) this.app.options(path, on((g, res, req) => g.preflight(res, req, POST_ONLY)));
    for (const path of ['/connection/sse', '/connection/uni_sse']) this.app.options(path, on((g, res, req) => g.preflight(res, req, GET_OR_POST)));
    return self;
  }

  start(): void {
    this.pinger.start();
  }

  /** Tells every stream client to reconnect elsewhere (3001) and refuses new ones. */
  drain(): void {
    this.draining = true;
    this.pinger.stop();
    for (const s of [...this.sessions.values()]) s.close(DisconnectCode.Shutdown);
    this.writes.flush();
  }

  stop(): void {
    this.pinger.stop();
    this.drain();
    this.writes.stop();
  }

  private openStream(res: HttpResponse, req: HttpRequest, kind: StreamKind): void {
    const state: ReqState = { aborted: false };
    let session: StreamSession | undefined;
    res.onAborted(() => {
      state.aborted = true;
      session?.aborted();
    });
    if (!this.admitOrigin(res, req, state)) return;
    const method = req.getMethod();
    const binary = kind === 'http_stream' && req.getHeader('content-type').startsWith('application/octet-stream');
    const codec: Codec = binary ? protobufCodec : jsonCodec;
    const query = method === 'get' ? req.getQuery(CONNECT_PARAM) : undefined;
    const declared = Number(req.getHeader('content-length') || 0);
    const remoteAddress = Buffer.from(res.getRemoteAddressAsText()).toString();
    const refusal = this.admission();
    if (refusal) return this.refuse(res, state, refusal);
    const begin = (body: Uint8Array): void => {
      if (state.aborted) return;
      let commands: Command[];
      try {
        commands = this.connectCommands(kind, codec, body);
      } catch (err) {
        if (!(err instanceof MalformedFrameError)) throw err;
        this.refusedCounts.bad_request++;
        return answer(res, state, 400, 'BAD_REQUEST', err.message);
      }
      // The body took a while: the table may have filled meanwhile.
      const late = this.admission();
      if (late) return this.refuse(res, state, late);
      session = new StreamSession(res, {
        kind, codec, remoteAddress, ...(state.cors === undefined ? {} : { cors: state.cors }),
        rate: { perSecond: this.opts.commandsPerSecond, burst: this.opts.commandBurst },
        maxBackpressureBytes: this.opts.maxBackpressureBytes,
        slowGiveUpMs: SLOW_GIVE_UP_MS,
        topics: this.topics,
        writes: this.writes,
        onEnd: (s, code, byServer) => this.ended(s, code, byServer),
        onError: this.opts.onError,
      });
      state.aborted = true; // from here on the session owns the response
      this.sessions.set(session.session, session);
      session.open();
      session.handler = this.opts.acceptor.open(session);
      session.take(commands, performance.now());
    };
    if (method === 'get') {
      if (query === undefined || query === '') {
        this.refusedCounts.bad_request++;
        return answer(res, state, 400, 'BAD_REQUEST', `the ${CONNECT_PARAM} query parameter must hold the connect ${kind === 'uni_sse' ? 'request' : 'command'} as JSON`);
      }
      const bytes = Buffer.from(query, 'utf8');
      if (bytes.byteLength > this.opts.maxFrameBytes) return this.tooLarge(res, state);
      return begin(bytes);
    }
    readBody(res, state, declared, this.opts.maxFrameBytes, begin, () => this.tooLarge(res, state), (err) => this.failed(res, state, err));
  }

  /** The connect frame's commands; a uni client sends a bare connect request, which becomes command 1. */
  private connectCommands(kind: StreamKind, codec: Codec, body: Uint8Array): Command[] {
    if (body.byteLength === 0) throw new MalformedFrameError('the body must hold the connect command');
    if (kind === 'uni_http_stream' || kind === 'uni_sse') {
      const raw = codec.decode(body);
      if (raw.length !== 1) throw new MalformedFrameError('a uni stream takes exactly one connect request');
      return [parseCommand({ id: 1, connect: raw[0] })];
    }
    const commands = codec.decode(body).map(parseCommand);
    if (commands.length === 0 || !('connect' in (commands[0] as Command))) throw new MalformedFrameError('the first command of a stream must be connect');
    return commands;
  }

  private emulation(res: HttpResponse, req: HttpRequest): void {
    const state: ReqState = { aborted: false };
    res.onAborted(() => {
      state.aborted = true;
    });
    this.emulationRequests++;
    if (!this.admitOrigin(res, req, state)) return;
    const protobuf = req.getHeader('content-type').startsWith('application/octet-stream');
    const declared = Number(req.getHeader('content-length') || 0);
    // A JSON request holds the frame as a JSON string: quotes and escapes may double it.
    const limit = (protobuf ? this.opts.maxFrameBytes : 2 * this.opts.maxFrameBytes) + ENVELOPE_BYTES;
    readBody(res, state, declared, limit, (body) => {
      let request: EmulationRequest;
      try {
        request = protobuf ? emulationRequestFromProtobuf(body) : emulationRequestFromJson(body);
      } catch (err) {
        if (!(err instanceof MalformedFrameError)) throw err;
        this.refusedCounts.bad_request++;
        return answer(res, state, 400, 'BAD_REQUEST', err.message);
      }
      const session = this.sessions.get(request.session);
      if (!session) return this.elsewhere(res, state, request, protobuf);
      const status = this.deliver(session, request, protobuf);
      if (status === 204) answerEmpty(res, state);
      else if (status === 413) this.tooLarge(res, state);
      else {
        this.refusedCounts.bad_request++;
        answer(res, state, 400, 'BAD_REQUEST', status);
      }
    }, () => this.tooLarge(res, state), (err) => this.failed(res, state, err));
  }

  /**
   * A browser page of an origin SUPERNOVA_ALLOWED_ORIGINS does not list is refused (403); an
   * allowed page of another origin gets CORS headers on whatever it is answered.
   */
  private admitOrigin(res: HttpResponse, req: HttpRequest, state: ReqState): boolean {
    const origin = req.getHeader('origin');
    if (!this.opts.origins.allows(origin, req.getHeader('host'))) {
      this.refusedCounts.origin++;
      answer(res, state, 403, ORIGIN_NOT_ALLOWED, originNotAllowedMessage(origin), true);
      return false;
    }
    if (origin !== '') state.cors = origin;
    return true;
  }

  /** A browser's CORS preflight: 204 with what the route allows, the requested headers echoed. */
  private preflight(res: HttpResponse, req: HttpRequest, methods: string): void {
    const state: ReqState = { aborted: false };
    if (!this.admitOrigin(res, req, state)) return;
    const headers = allowedRequestHeaders(req.getHeader('access-control-request-headers'));
    if (headers === undefined) {
      this.refusedCounts.bad_request++;
      return answer(res, state, 400, 'BAD_REQUEST', `access-control-request-headers must be a list of header names of at most ${MAX_REQUEST_HEADERS_CHARS} characters`);
    }
    answerPreflight(res, state.cors ?? '', methods, headers);
  }

  private failed(res: HttpResponse, state: ReqState, err: unknown): void {
    this.opts.onError('stream-body', err);
    answer(res, state, 500, 'INTERNAL', 'internal server error');
  }

  /**
   * Hands an emulation request's frame to a session of this node, checked as a WebSocket frame
   * is: over the limit or malformed closes the session (3501), as they would a WebSocket.
   * 204, 413 or the reason of a 400.
   */
  deliver(session: StreamSession, request: EmulationRequest, protobuf: boolean): 204 | 413 | string {
    if (session.closed) return 'the session is closed';
    if (session.uni) return 'a uni stream takes no commands after connect';
    if (protobuf !== session.codec.binary) return `this session speaks ${session.codec.name}: send its requests in that encoding`;
    if (request.data.byteLength > this.opts.maxFrameBytes) {
      session.close(DisconnectCode.BadRequest, `message too big (limit ${this.opts.maxFrameBytes} bytes)`);
      return 413;
    }
    let commands: Command[];
    try {
      commands = session.codec.decode(request.data).map(parseCommand);
    } catch (err) {
      if (!(err instanceof MalformedFrameError)) throw err;
      this.opts.log.debug({ err: err.message, remote: session.remoteAddress }, 'malformed emulation frame');
      session.close(DisconnectCode.BadRequest);
      return err.message;
    }
    if (commands.some((c) => 'connect' in c)) {
      session.close(DisconnectCode.BadRequest, 'connect goes in the stream request');
      return 'connect goes in the stream request, not in /emulation';
    }
    const receivedAt = performance.now();
    session.take(commands, receivedAt);
    return 204;
  }

  /** An emulation request another node received for a session of this one (through the broker). */
  forwarded(request: EmulationRequest & { protobuf: boolean }): void {
    this.forwardCounts.in++;
    const session = this.sessions.get(request.session);
    if (!session) return; // another node's, or gone
    const status = this.deliver(session, request, request.protobuf);
    if (status !== 204) this.opts.log.debug({ status, session: request.session }, 'forwarded emulation request refused');
  }

  /**
   * No session here: the node the request names may hold it (through the broker). A request
   * naming no node, this one, or a node that does not listen is answered 404 at once.
   */
  private elsewhere(res: HttpResponse, state: ReqState, request: EmulationRequest, protobuf: boolean): void {
    const notFound = (): void => {
      this.refusedCounts.no_session++;
      answer(res, state, 404, 'SESSION_NOT_FOUND', 'no such session: its stream has ended; the client reconnects');
    };
    if (!this.opts.forward || !this.opts.forwarding?.()) return notFound();
    if (request.node === '' || request.node === this.opts.node) return notFound();
    // Each forward is a Redis round trip: requests naming made-up nodes cannot turn into a flood of them.
    if (!this.forwards.take(performance.now())) {
      this.refusedCounts.forward_limited++;
      return answer(res, state, 503, 'TOO_MANY_FORWARDS', `this node forwards at most ${FORWARDS_PER_SECOND} emulation requests per second to other nodes; retry`);
    }
    this.forwardCounts.out++;
    this.opts.forward(request, protobuf).then(
      (delivered) => (delivered ? answerEmpty(res, state) : notFound()),
      (err: unknown) => {
        this.opts.onError('emulation-forward', err);
        answer(res, state, 503, 'NOT_AVAILABLE', 'the session\'s node could not be reached; retry');
      },
    );
  }

  private admission(): 'shutdown' | 'limit' | 'memory' | undefined {
    if (this.draining) return 'shutdown';
    if (this.sessions.size >= this.opts.maxSessions) return 'limit';
    if (this.opts.memoryPressure()) return 'memory';
    return undefined;
  }

  private refuse(res: HttpResponse, state: ReqState, reason: 'shutdown' | 'limit' | 'memory'): void {
    this.refusedCounts[reason]++;
    const [code, message] = reason === 'shutdown' ? ['SHUTTING_DOWN', 'server is shutting down']
      : reason === 'limit' ? ['CONNECTION_LIMIT', `this server holds its limit of ${this.opts.maxSessions} stream sessions (SUPERNOVA_STREAM_MAX_SESSIONS); retry later or on another node`]
        : ['MEMORY_PRESSURE', 'this server is short of memory and takes no new connections; retry later or on another node'];
    answer(res, state, 503, code, message, true);
  }

  private tooLarge(res: HttpResponse, state: ReqState): void {
    this.refusedCounts.too_large++;
    answer(res, state, 413, 'PAYLOAD_TOO_LARGE', `body over the frame limit of ${this.opts.maxFrameBytes} bytes (SUPERNOVA_MAX_FRAME_BYTES)`, true);
  }

  private ended(session: StreamSession, code: number, byServer: boolean): void {
    this.sessions.delete(session.session);
    if (byServer) this.opts.onDisconnect(code);
    else this.opts.onClientClose('stream');
    session.handler?.closed(code);
  }
}

/**
 * Reads a request body up to `max` bytes; a declared or actual body beyond it is refused at once
 * (nothing more is buffered). uWS reuses each chunk's memory after its callback: chunks are copied.
 */
function readBody(res: HttpResponse, state: ReqState, declared: number, max: number, done: (body: Buffer) => void, tooLarge: () => void, failed: (err: unknown) => void): void {
  if (declared > max) return tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  let refused = false;
  res.onData((chunk, isLast) => {
    if (refused || state.aborted) return;
    size += chunk.byteLength;
    if (size > max) {
      refused = true;
      tooLarge();
      return;
    }
    chunks.push(Buffer.from(new Uint8Array(chunk)));
    if (!isLast) return;
    try {
      done(Buffer.concat(chunks, size));
    } catch (err) {
      failed(err);
    }
  });
}

function answer(res: HttpResponse, state: ReqState, status: number, code: string, message: string, closeConnection = false): void {
  if (state.aborted) return;
  state.aborted = true;
  res.cork(() => {
    res.writeStatus(STATUS[status] ?? String(status)).writeHeader('content-type', 'application/json');
    if (state.cors !== undefined) writeCorsHeaders(res, state.cors);
    if (status === 503) res.writeHeader('retry-after', '5');
    res.end(JSON.stringify({ error: { code, message } }), closeConnection);
  });
}

function answerEmpty(res: HttpResponse, state: ReqState): void {
  if (state.aborted) return;
  state.aborted = true;
  res.cork(() => {
    res.writeStatus(STATUS[204] as string);
    if (state.cors !== undefined) writeCorsHeaders(res, state.cors);
    res.endWithoutBody();
  });
}
