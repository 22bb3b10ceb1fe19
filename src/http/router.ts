import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { answerStopped, Detachable } from './detachable.js';
import type { Logger } from 'pino';
import { HttpError, statusText } from './http-error.js';
import { UwsEventStream, type EventStream } from './event-stream.js';
import { compressAsync, compressSync, isCompressible, negotiateEncoding } from './compression.js';
import type { RateLimitHook, RateVerdict } from './rate-limit.js';

export interface RequestContext {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: Buffer;
  /** The body parsed as JSON; a 400 when it is not JSON. */
  json(): unknown;
}

export interface HttpResult {
  status?: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string or buffer as is. */
  body?: unknown;
}

export type Handler = (ctx: RequestContext) => HttpResult | Promise<HttpResult>;

/**
 * Accepts an event stream by returning what to do with it once open, or refuses it (before any
 * byte is sent) by throwing an HttpError. Runs synchronously inside the uWS request callback.
 */
export type StreamHandler = (ctx: RequestContext) => (stream: EventStream) => void;

interface Route {
  method: string;
  segments: string[];
  /** Names of the `:param` segments, in order: uWS hands their values over by index. */
  params: string[];
  handler: Handler;
  name: string;
  stream?: StreamHandler;
  /** This route's body limit, instead of the router's. */
  maxBodyBytes?: number;
}

export interface RouteOptions {
  /** Largest request body of this route (413 beyond it); the router's maxBodyBytes when omitted. */
  maxBodyBytes?: number;
}

/** uWS's registration method for each HTTP method the router takes. */
const UWS_METHODS: Record<string, 'get' | 'post' | 'put' | 'del' | 'patch' | 'options' | 'head'> = {
  get: 'get', post: 'post', put: 'put', delete: 'del', patch: 'patch', options: 'options', head: 'head',
};

/**
 * One request in flight. `aborted`: the client went away (never touch `res` again); `answered`: a
 * response is on its way; `method` labels the metrics.
 */
interface ResponseState { aborted: boolean; answered: boolean; acceptEncoding: string | undefined; method: string }

export interface RouterOptions {
  log: Logger;
  maxBodyBytes: number;
  /** Textual responses larger than this are compressed when the client accepts br or gzip. */
  compressMinBytes?: number;
  /** Larger bodies are compressed on the thread pool rather than on the event loop. */
  compressSyncMaxBytes?: number;
  onResponse?: (route: string, status: number, seconds: number, method: string) => void;
  /** Where a response that could not be written (its body would not serialize, say) is reported; it is answered 500. */
  onError?: (where: string, err: unknown) => void;
  /** Asked before a matched route's handler runs (event streams excepted); a refusal is a 429. */
  limit?: RateLimitHook;
}

/**
 * A small router over uWebSockets.js: the request is copied out before the first await (uWS
 * request objects die with the callback), bodies are bounded, an aborted client is never written
 * to, and every failure is JSON with a status, never a stack trace.
 */
export class Router {
  private readonly routes: Route[] = [];

  constructor(private readonly opts: RouterOptions) {}

  get(path: string, handler: Handler): this {
    return this.add('get', path, handler);
  }

  post(path: string, handler: Handler, options?: RouteOptions): this {
    return this.add('post', path, handler, options);
  }

  /** A GET route answered with a server-sent event stream (see StreamHandler). */
  stream(path: string, handler: StreamHandler): this {
    // The whole-response handler is never called: handle() takes the stream path first.
    this.routes.push({ ...parsePath('get', path), handler: () => ({ status: 500 }), stream: handler });
    return this;
  }

  add(method: string, path: string, handler: Handler, options: RouteOptions = {}): this {
    if (!UWS_METHODS[method]) throw new TypeError(`router: unsupported method ${method}; use one of ${Object.keys(UWS_METHODS).join(', ')}`);
    const route: Route = { ...parsePath(method, path), handler };
    if (options.maxBodyBytes !== undefined) route.maxBodyBytes = options.maxBodyBytes;
    this.routes.push(route);
    return this;
  }

  /**
   * Each route becomes a native uWS route, so matching and parameter extraction happen in C++;
   * the catch-all only answers what no pattern takes (404, 405, and paths with empty segments,
   * which the router's own matcher still resolves).
   */
  attach(app: TemplatedApp): Detachable<Router> {
    // The handlers close over `self`, the method and the route's index, never over `this` or a
    // route (whose handler holds the engine): uWS keeps them after the app closes (Detachable).
    const self = new Detachable<Router>(this);
    const dispatch = (res: HttpResponse, req: HttpRequest, method: string, index: number | undefined): void => {
      const router = self.target;
      if (router) router.handle(res, req, method, index === undefined ? undefined : router.routes[index]);
      else answerStopped(res);
    };
    for (let index = 0; index < this.routes.length; index++) {
      const { segments, method } = this.routes[index] as Route;
      const pattern = `/${segments.join('/')}`;
      app[UWS_METHODS[method] as 'get'](pattern, (res, req) => dispatch(res, req, method, index));
      if (method === 'get') app.head(pattern, (res, req) => dispatch(res, req, 'head', index));
    }
    app.any('/*', (res, req) => dispatch(res, req, req.getMethod().toLowerCase(), undefined));
    return self;
  }

  private match(method: string, path: string): { route: Route; params: Record<string, string> } | { allowed: string[] } {
    const parts = path.split('/').filter(Boolean);
    const allowed: string[] = [];
    for (const route of this.routes) {
      if (route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const seg = route.segments[i] as string;
        const part = parts[i] as string;
        if (seg.startsWith(':')) params[seg.slice(1)] = safeDecode(part);
        else ok = seg === part;
      }
      if (!ok) continue;
      if (route.method === method || (method === 'head' && route.method === 'get')) return { route, params };
      allowed.push(route.method.toUpperCase());
    }
    return { allowed };
  }

  private handle(res: HttpResponse, req: HttpRequest, method: string, native: Route | undefined): void {
    const started = performance.now();
    const path = req.getUrl();
    const rawQuery = req.getQuery() ?? '';
    const headers: Record<string, string> = {};
    req.forEach((k, v) => { headers[k] = v; });
    const state: ResponseState = { aborted: false, answered: false, acceptEncoding: headers['accept-encoding'], method };
    res.onAborted(() => { state.aborted = true; });

    let found: ReturnType<Router['match']>;
    try {
      found = native ? { route: native, params: nativeParams(req, native) } : this.match(method, path);
    } catch (err) {
      this.write(res, state, errorResult(err), native?.name ?? 'unmatched', started);
      return;
    }
    if (!('route' in found)) {
      const err = found.allowed.length > 0
        ? new HttpError(405, 'METHOD_NOT_ALLOWED', `${method.toUpperCase()} not allowed on ${path}; use ${found.allowed.join(', ')}`)
        : new HttpError(404, 'NOT_FOUND', `no route ${method.toUpperCase()} ${path}`);
      this.write(res, state, errorResult(err), 'unmatched', started);
      return;
    }
    const { route, params } = found;
    if (route.stream) {
      this.openStream(res, state, route, route.stream, new RequestView(method, path, params, headers, NO_BODY, rawQuery), started);
      return;
    }
    // Before the body is read: a refused client gets its 429 at once and nothing is buffered.
    const admitted = this.admit(res, state, route, method, headers, started);
    if (admitted === false) return;
    const run = (body: Buffer) => {
      const ctx = new RequestView(method, path, params, headers, body, rawQuery);
      const failed = (err: unknown): HttpResult => {
        if (!(err instanceof HttpError)) this.opts.log.error({ err, route: route.name }, 'http handler failed');
        return errorResult(err);
      };
      let result: HttpResult | Promise<HttpResult>;
      try {
        result = route.handler(ctx);
      } catch (err) {
        result = failed(err);
      }
      // A synchronous answer is written inside the uWS callback, with no promise and no extra
      // turn: most GET routes (snapshots, bars, health) answer from memory.
      if (result instanceof Promise) result.catch(failed).then((r) => this.write(res, state, r, route.name, started));
      else this.write(res, state, result, route.name, started);
    };
    const admittedRun = (body: Buffer) => {
      if (admitted === true) run(body);
      else void admitted.then((ok) => ok && run(body));
    };
    if (method === 'get' || method === 'head' || method === 'delete') {
      admittedRun(NO_BODY);
      return;
    }
    const maxBodyBytes = route.maxBodyBytes ?? this.opts.maxBodyBytes;
    const declared = Number(headers['content-length'] ?? 0);
    if (declared > maxBodyBytes) {
      this.write(res, state, errorResult(new HttpError(413, 'PAYLOAD_TOO_LARGE', `body over ${maxBodyBytes} bytes`)), route.name, started);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    res.onData((chunk, isLast) => {
      if (refused || state.answered) return;
      size += chunk.byteLength;
      if (size > maxBodyBytes) {
        refused = true;
        this.write(res, state, errorResult(new HttpError(413, 'PAYLOAD_TOO_LARGE', `body over ${maxBodyBytes} bytes`)), route.name, started);
        return;
      }
      // uWS reuses the chunk's memory after this callback: copy it.
      chunks.push(Buffer.from(new Uint8Array(chunk)));
      if (isLast) admittedRun(Buffer.concat(chunks, size));
    });
  }

  /**
   * The rate limit's verdict: true (go on now), false (refused, the 429 is written), or a
   * promise of either. Unlimited routes stay on the synchronous path.
   */
  private admit(res: HttpResponse, state: ResponseState, route: Route, method: string, headers: Record<string, string>, started: number): boolean | Promise<boolean> {
    if (!this.opts.limit) return true;
    let verdict: ReturnType<RateLimitHook>;
    try {
      verdict = this.opts.limit({ method, route: route.name, headers, remoteAddress: () => Buffer.from(res.getRemoteAddressAsText()).toString('latin1') });
    } catch (err) {
      this.opts.log.error({ err, route: route.name }, 'http rate limit failed; request allowed');
      return true;
    }
    if (verdict === undefined) return true;
    const decide = (v: RateVerdict): boolean => {
      if (v.allowed) return true;
      // A 413 for a declared oversized body may have gone out while the verdict was on its way.
      if (!state.answered) this.write(res, state, rateLimited(v), route.name, started);
      return false;
    };
    if (!(verdict instanceof Promise)) return decide(verdict);
    return verdict.then(decide, (err: unknown) => {
      this.opts.log.error({ err, route: route.name }, 'http rate limit failed; request allowed');
      return true;
    });
  }

  /** Writes the result, or a 500 when that throws: an answer is never lost to an exception in a uWS callback. */
  private write(res: HttpResponse, state: ResponseState, result: HttpResult, route: string, started: number): void {
    try {
      this.writeResult(res, state, result, route, started);
    } catch (err) {
      this.opts.onError?.('http-write', err);
      if (state.aborted || !state.answered) return;
      // Answered but not sent: the body failed before send(), which marks the response aborted.
      const error = errorResult(err);
      try {
        this.send(res, state, error.status ?? 500, { 'content-type': 'application/json' }, JSON.stringify(error.body));
      } catch (again) {
        this.opts.onError?.('http-write', again);
      }
    }
  }

  private writeResult(res: HttpResponse, state: ResponseState, result: HttpResult, route: string, started: number): void {
    const status = result.status ?? 200;
    this.opts.onResponse?.(route, status, (performance.now() - started) / 1000, state.method);
    if (state.aborted || state.answered) return;
    state.answered = true;
    let body: string | Uint8Array;
    const headers: Record<string, string> = { ...result.headers };
    if (typeof result.body === 'string' || result.body instanceof Uint8Array) body = result.body;
    else if (result.body === undefined) body = '';
    else {
      body = JSON.stringify(result.body);
      headers['content-type'] ??= 'application/json';
    }
    const size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    const eligible = size > (this.opts.compressMinBytes ?? 500) && isCompressible(headers['content-type']) && !headers['content-encoding'];
    // Plain answers to an eligible request vary too: a shared cache must not hand them to everyone.
    if (eligible) headers.vary = headers.vary ? `${headers.vary}, accept-encoding` : 'accept-encoding';
    const encoding = eligible ? negotiateEncoding(state.acceptEncoding) : undefined;
    if (!encoding) {
      this.send(res, state, status, headers, body);
      return;
    }
    headers['content-encoding'] = encoding;
    const raw = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    if (size <= (this.opts.compressSyncMaxBytes ?? 64 * 1024)) {
      this.send(res, state, status, headers, compressSync(raw, encoding));
      return;
    }
    compressAsync(raw, encoding).then(
      (compressed) => this.send(res, state, status, headers, compressed),
      (err: unknown) => {
        this.opts.log.error({ err, route }, 'response compression failed');
        const error = errorResult(err);
        this.send(res, state, error.status ?? 500, { 'content-type': 'application/json' }, JSON.stringify(error.body));
      },
    );
  }

  private send(res: HttpResponse, state: ResponseState, status: number, headers: Record<string, string>, body: string | Uint8Array): void {
    if (state.aborted) return;
    state.aborted = true; // uWS forbids touching a response after end()
    res.cork(() => {
      res.writeStatus(statusLine(status));
      for (const [k, v] of Object.entries(headers)) res.writeHeader(k, v);
      res.end(body);
    });
  }

  /** The streaming path: kept apart from write() so whole responses and streams evolve separately. */
  private openStream(
    res: HttpResponse,
    state: ResponseState,
    route: Route,
    handler: StreamHandler,
    ctx: RequestContext,
    started: number,
  ): void {
    let onOpen: (stream: EventStream) => void;
    try {
      onOpen = handler(ctx);
    } catch (err) {
      if (!(err instanceof HttpError)) this.opts.log.error({ err, route: route.name }, 'http stream handler failed');
      this.write(res, state, errorResult(err), route.name, started);
      return;
    }
    if (state.method === 'head') {
      this.write(res, state, { status: 200, headers: { 'content-type': 'text/event-stream' } }, route.name, started);
      return;
    }
    const stream = new UwsEventStream(res);
    res.onAborted(() => {
      state.aborted = true;
      stream.aborted();
    });
    state.aborted = true; // from here on the stream owns the response
    stream.begin();
    this.opts.onResponse?.(route.name, 200, (performance.now() - started) / 1000, state.method);
    onOpen(stream);
  }
}

/**
 * The handlers' view of a request. A class, not an object literal: a literal with a getter gets
 * its own accessor and map per request, and those old-space maps pointing at young closures kept
 * whole requests alive through scavenges (promoted, then collected by mark-compact). Under load
 * that made every scavenge ~10 ms, which was the HTTP p99.
 */
class RequestView implements RequestContext {
  private parsedQuery: URLSearchParams | undefined;

  constructor(
    readonly method: string,
    readonly path: string,
    readonly params: Record<string, string>,
    readonly headers: Record<string, string>,
    readonly body: Buffer,
    private readonly rawQuery: string,
  ) {}

  /** Parsed on first use: most routes read no query string. */
  get query(): URLSearchParams {
    this.parsedQuery ??= new URLSearchParams(this.rawQuery);
    return this.parsedQuery;
  }

  json(): unknown {
    if (this.body.length === 0) throw new HttpError(400, 'BAD_REQUEST', 'request body must be JSON, got an empty body');
    try {
      return JSON.parse(this.body.toString('utf8'));
    } catch (err) {
      throw new HttpError(400, 'BAD_REQUEST', `request body is not valid JSON: ${(err as Error).message}`);
    }
  }
}

export function errorResult(err: unknown): HttpResult {
  if (err instanceof HttpError) return { status: err.status, body: { error: { code: err.code, message: err.message } } };
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal server error' } } };
}

/** Built directly, not from an HttpError: a flood is refused without capturing a stack per request. */
function rateLimited(v: Extract<RateVerdict, { allowed: false }>): HttpResult {
  return { status: 429, headers: { 'retry-after': String(v.retryAfterSec) }, body: { error: { code: 'RATE_LIMITED', message: v.message } } };
}

/** The body of GET, HEAD and DELETE requests; never written to. */
const NO_BODY = Buffer.alloc(0);

const statusLines = new Map<number, string>();

/** `200 OK`, built once per status code. */
function statusLine(status: number): string {
  let line = statusLines.get(status);
  if (line === undefined) {
    line = `${status} ${statusText[status] ?? ''}`.trim();
    if (statusLines.size < 100) statusLines.set(status, line);
  }
  return line;
}

function parsePath(method: string, path: string): Pick<Route, 'method' | 'segments' | 'params' | 'name'> {
  const segments = path.split('/').filter(Boolean);
  return { method, segments, params: segments.filter((s) => s.startsWith(':')).map((s) => s.slice(1)), name: path };
}

function nativeParams(req: HttpRequest, route: Route): Record<string, string> {
  const params: Record<string, string> = {};
  for (let i = 0; i < route.params.length; i++) params[route.params[i] as string] = safeDecode(req.getParameter(i) ?? '');
  return params;
}

function safeDecode(s: string): string {
  // Most segments carry no escape: skip the decoder and its try/catch.
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', `bad URL encoding in ${JSON.stringify(s)}`);
  }
}
