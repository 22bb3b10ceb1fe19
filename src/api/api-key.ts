import { timingSafeEqual } from 'node:crypto';
import { ErrorCode } from '../protocol/index.js';
import { HttpError, presentedApiKey, type RequestContext } from '../http/index.js';

/** What every keyed route answers while SUPERNOVA_API_KEY is unset: off, and how to turn it on. */
export function apiDisabledError(): HttpError {
  return new HttpError(503, 'SERVER_API_DISABLED', 'the server API is off: set SUPERNOVA_API_KEY to turn it on');
}

/**
 * A check of `Authorization: apikey KEY` (or `X-API-Key: KEY`) for one configured key, in constant time so a caller
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
    const given = Buffer.from(presentedApiKey(ctx.headers) ?? '');
    if (given.length !== key.length || !timingSafeEqual(given, key)) {
      throw new HttpError(401, ErrorCode.Unauthorized, 'unauthorized: send Authorization: apikey <SUPERNOVA_API_KEY> or X-API-Key: <SUPERNOVA_API_KEY>');
    }
  };
}
