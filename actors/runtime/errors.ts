/**
 * Every error this layer raises carries a stable `code`, so callers (and log
 * queries) can branch on it without matching message text, which may change.
 */
export abstract class ActorRuntimeError extends Error {
  abstract readonly code: string;
}

/** `ask()` got no reply in time. The request may still be processed later; its reply is dropped. */
export class AskTimeoutError extends ActorRuntimeError {
  readonly code = 'ASK_TIMEOUT';
  constructor(readonly actor: string, readonly timeoutMs: number) {
    super(`ask to ${actor} timed out after ${timeoutMs} ms`);
    this.name = 'AskTimeoutError';
  }
}

/** A handler did not settle within `handlerTimeoutMs`; handed to the crash policy like any other crash. */
export class HandlerTimeoutError extends ActorRuntimeError {
  readonly code = 'HANDLER_TIMEOUT';
  constructor(readonly actor: string, readonly timeoutMs: number) {
    super(`handler of ${actor} did not settle within ${timeoutMs} ms`);
    this.name = 'HandlerTimeoutError';
  }
}

/** `ask()` could not enqueue its request because the target's mailbox is at `mailboxLimit`. */
export class MailboxFullError extends ActorRuntimeError {
  readonly code = 'MAILBOX_FULL';
  constructor(readonly actor: string, readonly limit: number) {
    super(`mailbox of ${actor} is full (${limit} messages)`);
    this.name = 'MailboxFullError';
  }
}

/** The target actor or supervisor has stopped (also used for asks still pending when the runtime stops). */
export class ActorStoppedError extends ActorRuntimeError {
  readonly code = 'ACTOR_STOPPED';
  constructor(readonly actor: string) {
    super(`${actor} has stopped`);
    this.name = 'ActorStoppedError';
  }
}

/** The runtime was used before `start()` or restarted after `stop()` (a runtime is single-use). */
export class RuntimeNotRunningError extends ActorRuntimeError {
  readonly code = 'RUNTIME_NOT_RUNNING';
  constructor(readonly runtime: string, detail: string) {
    super(`actor runtime ${runtime} ${detail}`);
    this.name = 'RuntimeNotRunningError';
  }
}
