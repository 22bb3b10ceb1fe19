import { ErrorCode, ProtocolError, wholeForDelta } from '../../src/protocol/index.js';
import type { ConnectionDeps } from './deps.js';
import type { PendingSubscription } from './frame-scope.js';
import type { ConnectionState } from './state.js';

const MAX_CATCH_UP_ROUNDS = 8;

/**
 * Makes the frame's new subscriptions live. A publication that reached the channel after its
 * history was read is fetched into the reply first; the last check and the native subscribes
 * then run in one synchronous step, so nothing is missed and nothing is delivered twice.
 * The caller sends the replies in that same step.
 */
export async function commitSubscriptions(state: ConnectionState, deps: ConnectionDeps, pending: PendingSubscription[]): Promise<void> {
  for (let round = 0; round < MAX_CATCH_UP_ROUNDS; round++) {
    const stale = pending.filter((p) => p.position && deps.fanout.lastOffset(p.sub.channel) > p.position.offset);
    if (stale.length === 0) break;
    await Promise.all(stale.map((p) => catchUp(deps, p)));
  }
  if (state.released) return;
  for (const p of pending) {
    if (state.subs.get(p.sub.channel) !== p.sub) continue; // unsubscribed later in the same frame
    // Pushes held for batching were already counted in the history read: out they go first.
    deps.fanout.flushChannel(p.sub.channel);
    // Recovered and latest publications come whole, in the shape a delta subscription expects.
    if (p.sub.delta && p.result.publications) p.result.publications = p.result.publications.map((pub) => wholeForDelta(state.port.codec, pub));
    state.port.subscribe(p.sub.channel, p.sub.delta);
    p.sub.committed = true;
  }
}

async function catchUp(deps: ConnectionDeps, p: PendingSubscription): Promise<void> {
  const position = p.position as { offset: number; epoch: string };
  const channel = p.sub.channel;
  if (p.latestOnly) {
    const h = await deps.broker.history(channel, { limit: 1, reverse: true });
    p.result.publications = h.publications;
    p.position = { offset: h.offset, epoch: h.epoch };
    return;
  }
  try {
    const h = await deps.broker.history(channel, { since: position, limit: -1 });
    p.result.publications = [...(p.result.publications ?? []), ...h.publications];
    p.position = { offset: h.offset, epoch: h.epoch };
  } catch (err) {
    if (!(err instanceof ProtocolError && err.code === ErrorCode.UnrecoverablePosition)) throw err;
    // History was lost meanwhile (epoch changed): the client is told it did not recover.
    const h = await deps.broker.history(channel, { limit: 0 });
    p.position = { offset: h.offset, epoch: h.epoch };
    if (p.result.was_recovering) p.result.recovered = false;
  }
  if (p.result.positioned) {
    p.result.offset = p.position.offset;
    p.result.epoch = p.position.epoch;
  }
}
