import { DisconnectCode, type StreamPosition } from '../../src/protocol/index.js';
import type { ActorRef } from '../runtime/index.js';
import type { ConnectionDeps } from './deps.js';
import type { FrameScope } from './frame-scope.js';
import { flushFrame } from './frame-handler.js';
import type { ConnectionMsg } from './messages.js';
import type { ConnectionState } from './state.js';
import { openSubscription } from './subscription-open.js';
import { scheduleExpiry } from './commands/expiry.js';

/**
 * The server API subscribed this connection to a channel (Centrifugo's server-side subscribe):
 * the subscription opens as a frame's would and the client learns of it by a subscribe push,
 * sent in the step that makes it live. A connection that cannot take it (not connected, already
 * subscribed, at its channel limit) is left as it is, as Centrifugo does.
 */
export async function serverSubscribe(state: ConnectionState, deps: ConnectionDeps, self: ActorRef<ConnectionMsg>, req: { channel: string; data?: unknown; recoverSince?: StreamPosition }): Promise<void> {
  if (!state.connected || state.released || state.subs.has(req.channel) || state.subs.size >= deps.limits.maxChannels) return;
  const { options } = deps.namespaces.resolve(req.channel);
  const scope: FrameScope = { self, replies: [], pending: [] };
  const result = await openSubscription(state, deps, scope, {
    channel: req.channel, options, recover: req.recoverSince,
    wantRecoverable: false, wantPositioned: false, joinLeave: false, rejectUnrecovered: false,
    serverSide: true, expiresAt: undefined, chanInfo: undefined,
  });
  if (req.data !== undefined) result.data = req.data;
  scope.replies.push({ push: { channel: req.channel, subscribe: result } });
  await flushFrame(state, deps, scope);
}

/**
 * The server API refreshed this connection (Centrifugo's server-side refresh): a new expiry
 * time, new connection info, or expired now (closed with 3005, the SDK reconnects with a new token).
 */
export function serverRefresh(state: ConnectionState, self: ActorRef<ConnectionMsg>, req: { expired?: boolean; expireAt?: number; info?: unknown }): void {
  if (!state.connected || state.released) return;
  if (req.expired) {
    state.port.close(DisconnectCode.Expired);
    return;
  }
  if (req.info !== undefined) state.connInfo = req.info;
  if (req.expireAt !== undefined) {
    state.expiresAt = req.expireAt;
    scheduleExpiry(state, self);
  }
}
