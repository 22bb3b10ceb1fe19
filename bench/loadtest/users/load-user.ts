/** One simulated user: a connection that subscribes to its channel and makes requests. */
export interface LoadUser {
  /** Connects and subscribes; rejects with a RequestError when either fails. */
  connect(): Promise<void>;
  /** Client publish into the user's channel; resolves on the reply. */
  publish(data: LoadPayload): Promise<void>;
  rpc(method: string, params: unknown): Promise<void>;
  /** Requests sent and not answered yet: bounded by the driver. */
  readonly inFlight: number;
  close(): Promise<void>;
}

/** What every publication carries: the publish time (ms since the epoch) is the latency probe. */
export interface LoadPayload {
  ts: number;
  user: number;
  seq: number;
}

/** Why a request failed, as a stable kind for the error counts: `publish:111`, `rpc:timeout`, `connect:closed`. */
export class RequestError extends Error {
  constructor(readonly kind: string, message: string) {
    super(message);
    this.name = 'RequestError';
  }
}

export function requestErrorKind(method: string, err: unknown): string {
  if (err instanceof RequestError) return err.kind;
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' || typeof code === 'string' ? `${method}:${code}` : `${method}:failed`;
}

export function hasTimestamp(data: unknown): data is { ts: number } {
  return typeof data === 'object' && data !== null && typeof (data as { ts?: unknown }).ts === 'number';
}
