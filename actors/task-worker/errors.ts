import { ErrorCode } from '../../src/protocol/index.js';

/**
 * A task failure with a stable protocol code: the HTTP API maps it to a status (statusOf), RPC
 * sends the code as is. `code` 106 is a bound reached, 107 a bad submission, 108 unknown id.
 */
export class TaskError extends Error {
  constructor(readonly code: number, message: string, readonly httpStatus: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TaskError';
  }
}

export class UnknownTaskTypeError extends TaskError {
  constructor(type: string, known: readonly string[]) {
    super(ErrorCode.BadRequest, `unknown task type ${JSON.stringify(type.slice(0, 64))}; known: ${known.join(', ')}`, 400);
    this.name = 'UnknownTaskTypeError';
  }
}

/** A built-in type this engine cannot run as configured: the message says what it needs. */
export class UnavailableTaskTypeError extends TaskError {
  constructor(type: string, reason: string) {
    super(ErrorCode.BadRequest, `task type ${type} is not available on this engine: ${reason}`, 400);
    this.name = 'UnavailableTaskTypeError';
  }
}

export class InvalidTaskArgsError extends TaskError {
  constructor(reason: string) {
    super(ErrorCode.BadRequest, reason, 400);
    this.name = 'InvalidTaskArgsError';
  }
}

export class TaskQueueFullError extends TaskError {
  constructor(limit: number, variable: string) {
    super(ErrorCode.LimitExceeded, `task queue is full: ${limit} tasks queued at most (${variable}); retry later`, 429);
    this.name = 'TaskQueueFullError';
  }
}

export class TaskNotFoundError extends TaskError {
  constructor(id: string) {
    super(ErrorCode.NotAvailable, `no task ${JSON.stringify(id.slice(0, 80))} (unknown, or its result expired)`, 404);
    this.name = 'TaskNotFoundError';
  }
}

export class TasksStoppedError extends TaskError {
  constructor() {
    super(ErrorCode.NotAvailable, 'the task service is not running', 503);
    this.name = 'TasksStoppedError';
  }
}

/** Why a running task ended without a result: what its `error` field says. */
export class TaskTimeoutError extends Error {
  constructor(ms: number) {
    super(`timed out after ${ms} ms`);
    this.name = 'TaskTimeoutError';
  }
}

export class TaskCancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'TaskCancelledError';
  }
}

export class TasksUnavailableError extends TaskError {
  constructor(what: string, options?: { cause?: unknown }) {
    super(ErrorCode.NotAvailable, `the task queue (Redis) does not answer: ${what}; retry later`, 503, options);
    this.name = 'TasksUnavailableError';
  }
}
