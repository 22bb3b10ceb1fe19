export { Router, errorResult, type RequestContext, type HttpResult, type Handler, type RouterOptions } from './router.js';
export { HttpError } from './http-error.js';
export { StaticFiles, StaticFilesError, type StaticFilesOptions } from './static-files.js';
