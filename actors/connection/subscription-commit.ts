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
  // A publication the history read returned may still be on its way to this node (Redis PUB/SUB
  // and the read travel on different connections): delivered after the native subscribe, the
  // subscriber would get it twice. Once synced, everything up to the read's offset is here.
  const positioned = new Set(pending.flatMap((p) => (p.position ? [p.sub.channel] : [])));
  await Promise.all([...positioned].map((channel) => deps.broker.sync(channel)));
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

/**
 * Adds to the reply what this node delivered to the channel after the history read, and only
 * that: the stream may already hold newer publications whose messages are still on their way
 * here, and those reach the subscriber through the native topic once it is subscribed.
 */
async function catchUp(deps: ConnectionDeps, p: PendingSubscription): Promise<void> {
  const position = p.position as { offset: number; epoch: string };
  const channel = p.sub.channel;
  try {
    const h = await deps.broker.history(channel, { since: position, limit: -1 });
    const delivered = deps.fanout.lastOffset(channel);
    const kept = h.publications.filter((pub) => (pub.offset as number) <= delivered);
    // None delivered here is in the stream (an offset of another epoch): the reply takes the stream's.
    const missed = kept.length > 0 ? kept : h.publications;
    const last = missed.at(-1);
    if (p.latestOnly) p.result.publications = last ? [last] : p.result.publications;
    else p.result.publications = [...(p.result.publications ?? []), ...missed];
    p.position = { offset: kept.length > 0 ? (last?.offset as number) : h.offset, epoch: h.epoch };
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
