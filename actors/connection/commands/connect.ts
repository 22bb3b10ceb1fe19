import { DisconnectCode, DisconnectError, ErrorCode, ProtocolError, type ConnectRequest, type ConnectResult } from '../../../src/protocol/index.js';
import type { ServerSubscription } from '../../../src/auth/index.js';
import type { ConnectionDeps } from '../deps.js';
import type { FrameScope } from '../frame-scope.js';
import type { ConnectionState } from '../state.js';
import { openSubscription } from '../subscription-open.js';
import { overriddenOptions } from '../subscribe-override.js';
import { scheduleExpiry } from './expiry.js';

export async function connect(state: ConnectionState, req: ConnectRequest, deps: ConnectionDeps, scope: FrameScope): Promise<ConnectResult> {
  if (state.connected) throw new DisconnectError(DisconnectCode.BadRequest, 'already connected');
  let serverSubs: ServerSubscription[] = [];
  if (req.token) {
    const claims = await deps.tokens.verifyConnect(req.token);
    state.user = claims.user;
    state.expiresAt = claims.exp;
    state.expiryGraceMs = deps.limits.expiredCloseDelayMs;
    state.connInfo = claims.info;
    state.meta = claims.meta;
    serverSubs = claims.subs;
  } else if (!deps.limits.allowAnonymous) {
    throw new ProtocolError(ErrorCode.Unauthorized, 'a connection token is required');
  }
  state.connected = true;
  const prefix = deps.limits.personalChannelPrefix;
  if (prefix !== undefined && state.user !== '') {
    const personal = `${prefix}#${state.user}`;
    if (!serverSubs.some((s) => s.channel === personal)) serverSubs = [...serverSubs, { channel: personal, info: undefined, data: undefined, override: {} }];
  }
  deps.registry.add(state.user, state.client, scope.self);
  const result: ConnectResult = {
    client: state.client,
    version: deps.node.version,
    ping: Math.round(deps.limits.pingIntervalMs / 1000),
    pong: true,
    node: deps.node.name,
  };
  if (state.port.session !== undefined) result.session = state.port.session;
  if (state.expiresAt !== undefined) {
    result.expires = true;
    result.ttl = Math.max(0, state.expiresAt - Math.floor(Date.now() / 1000));
    scheduleExpiry(state, scope.self);
  }
  if (serverSubs.length > 0) {
    // Server-side subscriptions: granted by the token, recovered from the positions the SDK sends.
    const subs: NonNullable<ConnectResult['subs']> = {};
    for (const granted of serverSubs.slice(0, deps.limits.maxChannels)) {
      const { channel, override } = granted;
      const options = overriddenOptions(deps.namespaces.resolve(channel).options, override);
      const since = req.subs?.[channel];
      const result = await openSubscription(state, deps, scope, {
        channel, options,
        recover: since?.recover ? { offset: since.offset ?? 0, epoch: since.epoch ?? '' } : undefined,
        wantRecoverable: false, wantPositioned: override.forcePositioning === true, joinLeave: false, rejectUnrecovered: false,
        serverSide: true, expiresAt: undefined, chanInfo: granted.info,
      });
      if (granted.data !== undefined) result.data = granted.data;
      subs[channel] = result;
    }
    result.subs = subs;
  }
  state.port.connected();
  return result;
}
