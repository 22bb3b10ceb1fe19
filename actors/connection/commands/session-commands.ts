import { DisconnectCode, DisconnectError, ErrorCode, ProtocolError, type RefreshRequest, type RpcRequest, type SubRefreshRequest } from '../../../src/protocol/index.js';
import type { ActorRef } from '../../runtime/index.js';
import type { ConnectionDeps } from '../deps.js';
import type { ConnectionMsg } from '../messages.js';
import type { ConnectionState } from '../state.js';
import { requireConnected } from './guards.js';
import { scheduleExpiry } from './expiry.js';

export async function rpc(state: ConnectionState, req: RpcRequest, deps: ConnectionDeps): Promise<object> {
  requireConnected(state);
  const name = req.method ?? '';
  const method = deps.rpc.get(name);
  if (!method) throw unknownMethod(name, [...deps.rpc.keys()]);
  const data = await method(req.data, { client: state.client, user: state.user, ...(state.meta === undefined ? {} : { meta: state.meta }) });
  return data === undefined ? {} : { data };
}

/**
 * As Centrifugo: a method of a family this engine serves (`market.nope`) is 104 method not found;
 * any other name is 108 not available, what Centrifugo answers when no RPC handler (proxy) serves
 * the method, and what SDK suites expect of a method like `method`.
 */
function unknownMethod(name: string, known: string[]): ProtocolError {
  const dot = name.indexOf('.');
  const family = dot > 0 ? name.slice(0, dot + 1) : undefined;
  const list = known.join(', ');
  return family !== undefined && known.some((k) => k.startsWith(family))
    ? new ProtocolError(ErrorCode.MethodNotFound, `unknown rpc method ${JSON.stringify(name)}; known: ${list}`)
    : new ProtocolError(ErrorCode.NotAvailable, `no rpc handler serves ${JSON.stringify(name)}; methods: ${list}`);
}

export async function refresh(state: ConnectionState, req: RefreshRequest, deps: ConnectionDeps, self: ActorRef<ConnectionMsg>): Promise<object> {
  requireConnected(state);
  const claims = await deps.tokens.verifyConnect(req.token);
  if (claims.user !== state.user) throw new DisconnectError(DisconnectCode.InvalidToken, 'invalid token: user mismatch');
  state.expiresAt = claims.exp;
  if (claims.info !== undefined) state.connInfo = claims.info;
  if (claims.meta !== undefined) state.meta = claims.meta;
  scheduleExpiry(state, self);
  const out: { client: string; version: string; expires?: boolean; ttl?: number } = { client: state.client, version: deps.node.version };
  if (claims.exp !== undefined) {
    out.expires = true;
    out.ttl = Math.max(0, claims.exp - Math.floor(Date.now() / 1000));
  }
  return out;
}

export async function subRefresh(state: ConnectionState, req: SubRefreshRequest, deps: ConnectionDeps, self: ActorRef<ConnectionMsg>): Promise<object> {
  requireConnected(state);
  const sub = state.subs.get(req.channel);
  if (!sub) throw new ProtocolError(ErrorCode.PermissionDenied, `not subscribed to ${req.channel}`);
  const claims = await deps.tokens.verifySubscription(req.token, req.channel, state);
  sub.expiresAt = claims.exp;
  scheduleExpiry(state, self);
  return claims.exp === undefined ? {} : { expires: true, ttl: Math.max(0, claims.exp - Math.floor(Date.now() / 1000)) };
}
