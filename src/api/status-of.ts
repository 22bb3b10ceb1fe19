import { ErrorCode } from '../protocol/index.js';

/** The HTTP status of a protocol error code, for the HTTP API. */
export function statusOf(code: number): number {
  switch (code) {
    case ErrorCode.Unauthorized: return 401;
    case ErrorCode.PermissionDenied: return 403;
    case ErrorCode.UnknownChannel:
    case ErrorCode.MethodNotFound: return 404;
    case ErrorCode.UnrecoverablePosition: return 409;
    case ErrorCode.TooManyRequests:
    case ErrorCode.LimitExceeded: return 429;
    case ErrorCode.Internal: return 500;
    default: return 400;
  }
}
