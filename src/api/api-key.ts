import { timingSafeEqual } from 'node:crypto';
import { ErrorCode } from '../protocol/index.js';
import { HttpError, type RequestContext } from '../http/index.js';

/** What every keyed route answers while SUPERNOVA_API_KEY is unset: off, and how to turn it on. */
export function apiDisabledError(): HttpError {
  return new HttpError(503, 'SERVER_API_DISABLED', 'the server API is off: set SUPERNOVA_API_KEY to turn it on');
}

/**
 * A check of `Authorization: apikey KEY` for one configured key, in constant time so a caller
 * cannot find the key byte by byte. Without a key every request is refused with 503.
 */
export function apiKeyGuard(apiKey: string | undefined): (ctx: RequestContext) => void {
  if (!apiKey) {
    return () => {
      throw apiDisabledError();
    };
  }
  const key = Buffer.from(apiKey);
  return (ctx) => {
    const header = ctx.headers.authorization ?? '';
    const match = /^apikey\s+(.+)$/i.exec(header.trim());
    const given = Buffer.from(match?.[1] ?? '');
    if (given.length !== key.length || !timingSafeEqual(given, key)) {
      throw new HttpError(401, ErrorCode.Unauthorized, 'unauthorized: send Authorization: apikey <SUPERNOVA_API_KEY>');
    }
  };
}
