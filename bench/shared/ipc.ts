/**
 * Typed request/response over the Node IPC channel between the orchestrator and its children.
 * A child serves named methods; each request carries an id so replies may come back in any order.
 */

export interface Rpc<Req, Res> {
  req: Req;
  res: Res;
}

/** A map of method name to Rpc; a type alias or interface whose every member is an Rpc. */
export type RpcMap<M> = { [K in keyof M]: Rpc<unknown, unknown> };

export type Handlers<M extends RpcMap<M>> = { [K in keyof M]: (params: M[K]['req']) => Promise<M[K]['res']> | M[K]['res'] };

export interface RequestMessage { kind: 'request'; id: number; method: string; params: unknown }
export type ResponseMessage = { kind: 'response'; id: number; ok: true; result: unknown } | { kind: 'response'; id: number; ok: false; error: string };
export interface ReadyMessage { kind: 'ready'; info: unknown }

export function isResponse(m: unknown): m is ResponseMessage {
  return typeof m === 'object' && m !== null && (m as { kind?: unknown }).kind === 'response';
}

export function isReady(m: unknown): m is ReadyMessage {
  return typeof m === 'object' && m !== null && (m as { kind?: unknown }).kind === 'ready';
}

function isRequest(m: unknown): m is RequestMessage {
  return typeof m === 'object' && m !== null && (m as { kind?: unknown }).kind === 'request';
}

function send(message: RequestMessage | ResponseMessage | ReadyMessage): void {
  // The parent may be gone already (it killed us or crashed): nothing left to tell.
  if (process.connected && process.send) process.send(message);
}

/** Child side: answers the parent's requests with `handlers`. */
export function serveParent<M extends RpcMap<M>>(handlers: Handlers<M>): void {
  process.on('message', (m: unknown) => {
    if (!isRequest(m)) return;
    const handler = (handlers as Record<string, ((p: unknown) => unknown) | undefined>)[m.method];
    if (!handler) {
      send({ kind: 'response', id: m.id, ok: false, error: `unknown method ${m.method}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(m.params))
      .then(
        (result) => send({ kind: 'response', id: m.id, ok: true, result: result ?? null }),
        (err: unknown) => send({ kind: 'response', id: m.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
      );
  });
}

export function announceReady(info: unknown): void {
  send({ kind: 'ready', info });
}

/**
 * A child must never outlive its purpose: it exits when the parent disconnects and, whatever
 * happens, after `maxLifetimeMs`.
 */
export function guardLifetime(maxLifetimeMs: number, onExit: () => void = () => {}): void {
  const leave = (code: number) => {
    try {
      onExit();
    } finally {
      process.exit(code);
    }
  };
  process.on('disconnect', () => leave(0));
  setTimeout(() => {
    process.stderr.write(`bench child ${process.pid}: lifetime of ${maxLifetimeMs} ms exceeded, exiting\n`);
    leave(3);
  }, maxLifetimeMs).unref();
}

/** The JSON object a child gets as its first argument. */
export function childArgs<T>(): T {
  const raw = process.argv[2];
  if (!raw) throw new Error('bench child started without its JSON argument');
  return JSON.parse(raw) as T;
}

/** A child's `stop` method: stop, answer, then exit once the reply is on its way. */
export function stopThenExit(stop: () => Promise<void>): () => Promise<null> {
  return async () => {
    await stop();
    setTimeout(() => process.exit(0), 50);
    return null;
  };
}
