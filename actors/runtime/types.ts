/** What a crash policy may decide after a handler threw, rejected or timed out. */
export type CrashDecision = 'resume' | 'reset' | 'stop';

/**
 * Created once per actor, not per message: the per-message context nact builds
 * (including a copy of the children map) is exactly the cost this layer avoids.
 */
export interface ActorContext<M> {
  readonly self: ActorRef<M>;
  readonly name: string;
}

export interface SpawnOptions<S, M> {
  /** Prefix only; the runtime appends a monotonic id so names never collide. */
  name?: string;
  /** Called on start and on every reset, so a reset never sees state a crashed handler mutated. */
  initialState: () => S;
  /** The returned state becomes the next state. One message at a time, in order. */
  handle: (state: S, msg: M, ctx: ActorContext<M>) => S | Promise<S>;
  /** Default: resume, but stop once `maxCrashes` crashes fall within `crashWindowMs`. Throwing counts as 'stop'. */
  onCrash?: (error: unknown, msg: M, ctx: ActorContext<M>) => CrashDecision;
  /** Called exactly once, whatever stopped the actor (stop(), crash policy, parent or runtime stop). */
  onStop?: (state: S) => void;
  /** Maximum queued + in-flight messages; `tell()` returns false at the limit. Default 1024. */
  mailboxLimit?: number;
  /** A handler still pending after this long is treated as a crash (`HandlerTimeoutError`). Default 5000. */
  handlerTimeoutMs?: number;
  /** Default-policy parameters; ignored when `onCrash` is given. Defaults 5 and 10_000. */
  maxCrashes?: number;
  crashWindowMs?: number;
}

export interface ActorRef<M> {
  readonly name: string;
  /** Queued + in-flight messages. */
  readonly depth: number;
  readonly stopped: boolean;
  /** False (and nothing enqueued) when the mailbox is full or the actor has stopped. */
  tell(msg: M): boolean;
  /** Idempotent. */
  stop(): void;
}

/** Anything that can parent actors. */
export interface Supervisor {
  readonly name: string;
  readonly stopped: boolean;
  spawn<S, M>(opts: SpawnOptions<S, M>): ActorRef<M>;
  /** Live direct or sharded children (actors and nested supervisors, not shards). */
  readonly size: number;
  /** Stops it and all descendants, depth first. Idempotent. */
  stop(): void;
}

export interface RuntimeLogger {
  warn(obj: object, msg: string): void;
}

export interface RuntimeStats {
  /** Live user actors (supervisors and shards not included). */
  actors: number;
  /** Sum of every live actor's queued + in-flight messages. */
  mailboxDepth: number;
  /** Handler throws, rejections and timeouts. */
  crashes: number;
  /** Crashes the policy answered with 'reset' (restarts). */
  resets: number;
  /** Actors stopped by the crash policy. */
  stopsByPolicy: number;
  /** `tell()` calls refused because the mailbox was full. */
  mailboxRejections: number;
  /** Live supervisor shards (nact parents), useful to watch fan-out. */
  shards: number;
  /** Asks waiting for a reply. */
  pendingAsks: number;
}
