import { DisconnectCode, DisconnectError, ErrorCode, ProtocolError, type RefreshRequest, type RpcRequest, type SubRefreshRequest } from '../../../src/protocol/index.js';
import type { ActorRef } from '../../runtime/index.js';
import type { ConnectionDeps } from '../deps.js';
import type { ConnectionMsg } from '../messages.js';
import type { ConnectionState } from '../state.js';
import { requireConnected } from './guards.js';
import { scheduleExpiry } from './expiry.js';

export async function rpc(state: ConnectionState, req: RpcRequest, deps: ConnectionDeps): Promise<object> {
  requireConnected(state);
  const method = deps.rpc.get(req.method ?? '');
  if (!method) throw new ProtocolError(ErrorCode.MethodNotFound, `unknown rpc method ${JSON.stringify(req.method ?? '')}; known: ${[...deps.rpc.keys()].join(', ')}`);
  const data = await method(req.data, { client: state.client, user: state.user, ...(state.meta === undefined ? {} : { meta: state.meta }) });
  return data === undefined ? {} : { data };
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
