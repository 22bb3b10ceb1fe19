import { ErrorCode, ProtocolError } from '../protocol/index.js';

/**
 * The broker's server (Redis) cannot take the operation now: error 100, temporary, so SDKs
 * retry; the server API answers 503. Local delivery of the node's own pipelines goes on.
 */
export class BrokerUnavailableError extends ProtocolError {
  readonly httpStatus = 503;
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.Internal, message);
    this.name = 'BrokerUnavailableError';
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

/** The broker could not start (Redis unreachable or refusing): start-up stops with the variable to fix. */
export class BrokerStartError extends Error {
  readonly code = 'BROKER_START';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BrokerStartError';
  }
}
