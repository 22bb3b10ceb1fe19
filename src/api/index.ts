export { registerServerApi, registerDisabledServerApi, type ConnectionControl, type ServerApiOptions } from './server-api.js';
export { statusOf } from './status-of.js';
export { registerBarsApi } from './bars-api.js';
