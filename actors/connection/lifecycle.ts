import { UnsubscribeCode } from '../../src/protocol/index.js';
import type { ActorRef } from '../runtime/index.js';
import type { ConnectionDeps } from './deps.js';
import type { ConnectionMsg } from './messages.js';
import type { ConnectionState } from './state.js';
import { releaseSubscription } from './subscription-release.js';
import { scheduleExpiry } from './commands/expiry.js';

/** Releases everything the connection holds. Idempotent: late work calls it again for what it took. */
export async function releaseConnection(state: ConnectionState, deps: ConnectionDeps): Promise<void> {
  if (!state.released) {
    state.released = true;
    clearTimeout(state.expiryTimer);
    state.expiryTimer = undefined;
    if (state.connected) deps.registry.remove(state.user, state.client);
  }
  for (const sub of [...state.subs.values()]) {
    try {
      await releaseSubscription(state, deps, sub);
    } catch (err) {
      deps.log.warn({ err, channel: sub.channel, client: state.client }, 'releasing a subscription failed');
    }
  }
}

/** The server removed this client from a channel: the server API, or a position the broker can no longer serve. */
export async function serverUnsubscribe(state: ConnectionState, deps: ConnectionDeps, channel: string, code: UnsubscribeCode = UnsubscribeCode.Server): Promise<void> {
  const sub = state.subs.get(channel);
  if (!sub) return;
  const insufficient = code === UnsubscribeCode.InsufficientState;
  if (insufficient && !sub.positioned) return;
  await releaseSubscription(state, deps, sub);
  const reason = insufficient ? 'insufficient state' : 'server unsubscribe';
  state.port.send([{ push: { channel, unsubscribe: { code, reason } } }]);
}

/** Ends an expired connection (3005), or drops subscriptions whose token expired (the SDK resubscribes). */
export async function expire(state: ConnectionState, deps: ConnectionDeps, self: ActorRef<ConnectionMsg>): Promise<void> {
  if (state.expiresAt !== undefined && state.expiresAt * 1000 + state.expiryGraceMs <= Date.now()) {
    state.port.close(3005);
    return;
  }
  const now = Date.now() / 1000;
  for (const sub of [...state.subs.values()]) {
    if (sub.expiresAt === undefined || sub.expiresAt > now) continue;
    await releaseSubscription(state, deps, sub);
    state.port.send([{ push: { channel: sub.channel, unsubscribe: { code: UnsubscribeCode.Expired, reason: 'subscription expired' } } }]);
  }
  scheduleExpiry(state, self);
}
