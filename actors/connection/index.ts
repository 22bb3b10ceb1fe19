export { ConnectionActors } from './connection-acceptor.js';
export type { ConnectionActorLimits } from './connection-actor.js';
export type { ConnectionDeps } from './deps.js';
export { ConnectionRegistry } from './registry.js';
export type { ConnectionMsg } from './messages.js';
export type { RpcMethod, RpcRegistry, RpcCaller } from './rpc-registry.js';
export { applyControl } from './control-commands.js';
