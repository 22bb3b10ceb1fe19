export { Router, errorResult, type RequestContext, type HttpResult, type Handler, type RouterOptions } from './router.js';
export { HttpError } from './http-error.js';
