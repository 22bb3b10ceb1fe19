export { Router, errorResult, type RequestContext, type HttpResult, type Handler, type StreamHandler, type RouterOptions, type RouteOptions } from './router.js';
export { HttpError } from './http-error.js';
export type { EventStream } from './event-stream.js';
export { StaticFiles, StaticFilesError, type StaticFilesOptions } from './static-files.js';
export { answerStopped, Detachable } from './detachable.js';
export { HttpRateLimiter, RATE_GROUPS, rateGroupOf, type HttpRateLimiterOptions, type RateGroup, type RateLimitHook, type RateLimitRequest, type RateRule, type RateVerdict } from './rate-limit.js';
export { presentedApiKey } from './api-key-header.js';
export { OriginPolicy, originPatternProblem } from './origin-policy.js';
export { allowedRequestHeaders, answerPreflight, MAX_REQUEST_HEADERS_CHARS, ORIGIN_NOT_ALLOWED, originNotAllowedMessage, writeCorsHeaders } from './cors.js';
