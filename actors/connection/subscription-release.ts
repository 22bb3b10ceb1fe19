import type { ConnectionDeps } from './deps.js';
import type { ConnectionState, Subscription } from './state.js';

/** Undoes everything a subscription took: native topic, watch, presence, and tells the channel it left. */
export async function releaseSubscription(state: ConnectionState, deps: ConnectionDeps, sub: Subscription): Promise<void> {
  if (state.subs.get(sub.channel) !== sub) return;
  state.subs.delete(sub.channel);
  deps.fanout.unwatch(sub.channel);
  if (sub.received) {
    sub.received = false;
    await deps.broker.unsubscribe(sub.channel);
  }
  if (!sub.committed) return;
  sub.committed = false;
  state.port.unsubscribe(sub.channel, sub.delta);
  if (sub.options.presence) await deps.broker.removePresence(sub.channel, state.client);
  if (sub.joinLeave) await deps.broker.publishLeave(sub.channel, state.info(sub));
}
