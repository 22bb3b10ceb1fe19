import type { HttpResponse } from 'uWebSockets.js';

/** The code of a request refused for its `Origin` (403). */
export const ORIGIN_NOT_ALLOWED = 'ORIGIN_NOT_ALLOWED';

/**
 * Longest `Access-Control-Request-Headers` a preflight is answered for: a page asks for a few
 * names, and the list is echoed back, so it must not make every answer as large as a header may be.
 */
export const MAX_REQUEST_HEADERS_CHARS = 1024;
/** Header names (RFC 9110 tokens), commas and spaces: nothing else is echoed. */
const HEADER_LIST = /^[A-Za-z0-9!#$%&'*+.^_`|~, \t-]*$/;
/** Browsers keep a preflight's answer this long (Chromium caps it at 7200 s). */
const PREFLIGHT_MAX_AGE_S = '600';
/** An Origin in an error message is cut to this many characters. */
const SHOWN_ORIGIN_CHARS = 200;

/** Why a request is refused for its Origin, naming the setting that would allow it. */
export function originNotAllowedMessage(origin: string): string {
  return `origin ${JSON.stringify(origin.slice(0, SHOWN_ORIGIN_CHARS))} may not connect here: list it in SUPERNOVA_ALLOWED_ORIGINS`;
}

/**
 * What an allowed cross-origin response carries: the origin itself, not `*`, since the SDKs
 * send credentials (cookies) with their requests; `Vary` keeps caches from mixing origins.
 */
export function writeCorsHeaders(res: HttpResponse, origin: string): void {
  res.writeHeader('access-control-allow-origin', origin)
    .writeHeader('access-control-allow-credentials', 'true')
    .writeHeader('vary', 'Origin');
}

/** The requested headers to allow, as asked, or undefined when the list is too long or not a list of names. */
export function allowedRequestHeaders(requested: string): string | undefined {
  if (requested.length > MAX_REQUEST_HEADERS_CHARS || !HEADER_LIST.test(requested)) return undefined;
  return requested;
}

/** A preflight's 204 for an allowed origin (or none: then no CORS headers, as for any request without Origin). */
export function answerPreflight(res: HttpResponse, origin: string, methods: string, headers: string): void {
  res.cork(() => {
    res.writeStatus('204 No Content');
    if (origin !== '') writeCorsHeaders(res, origin);
    res.writeHeader('access-control-allow-methods', methods).writeHeader('access-control-max-age', PREFLIGHT_MAX_AGE_S);
    if (headers !== '') res.writeHeader('access-control-allow-headers', headers);
    res.endWithoutBody();
  });
}
