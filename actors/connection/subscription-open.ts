import { ErrorCode, ProtocolError, type StreamPosition, type SubscribeResult } from '../../src/protocol/index.js';
import type { NamespaceOptions } from '../../src/config/index.js';
import type { ConnectionDeps } from './deps.js';
import type { ConnectionState, Subscription } from './state.js';
import type { FrameScope } from './frame-scope.js';
import { releaseSubscription } from './subscription-release.js';

export interface OpenRequest {
  channel: string;
  options: NamespaceOptions;
  recover: StreamPosition | undefined;
  wantRecoverable: boolean;
  wantPositioned: boolean;
  joinLeave: boolean;
  rejectUnrecovered: boolean;
  serverSide: boolean;
  /** Fossil deltas negotiated (see the subscribe command). */
  delta?: boolean;
  expiresAt: number | undefined;
  chanInfo: unknown;
}

/**
 * Builds a subscribe result: the stream position, recovered publications or the latest one.
 * The channel is watched before history is read, so the commit can see a publication that
 * lands in between; the native subscribe happens at commit, together with the reply.
 */
export async function openSubscription(state: ConnectionState, deps: ConnectionDeps, scope: FrameScope, req: OpenRequest): Promise<SubscribeResult> {
  const { channel, options } = req;
  const historyOn = options.historySize > 0;
  const recoverable = historyOn && (options.recoverable || req.wantRecoverable);
  const positioned = recoverable || (historyOn && req.wantPositioned);
  const sub: Subscription = {
    channel, options, positioned, recoverable, committed: false, received: false, serverSide: req.serverSide,
    joinLeave: options.joinLeave || (req.joinLeave && options.presence), delta: req.delta === true, expiresAt: req.expiresAt, chanInfo: req.chanInfo,
  };
  state.subs.set(channel, sub);
  deps.fanout.watch(channel);
  try {
    await deps.broker.subscribe(channel);
  } catch (err) {
    await releaseSubscription(state, deps, sub);
    throw err;
  }
  sub.received = true;
  // Released while the broker subscribed (the socket closed): give back what was just taken.
  if (state.released || state.subs.get(channel) !== sub) {
    sub.received = false;
    await deps.broker.unsubscribe(channel);
    throw new ProtocolError(ErrorCode.Internal, 'connection closed');
  }
  const result: SubscribeResult = {};
  let position: StreamPosition | undefined;
  let latestOnly = false;
  try {
    if (req.recover && recoverable) {
      result.was_recovering = true;
      try {
        // As Centrifugo: an empty epoch is the stream's own (a client that kept only an offset).
        const since = req.recover.epoch === '' ? { offset: req.recover.offset, epoch: (await deps.broker.history(channel, { limit: 0 })).epoch } : req.recover;
        const h = await deps.broker.history(channel, { since, limit: -1 });
        result.publications = h.publications;
        result.recovered = true;
        position = h;
      } catch (err) {
        if (!(err instanceof ProtocolError && err.code === ErrorCode.UnrecoverablePosition) || req.rejectUnrecovered) throw err;
        result.recovered = false;
        position = await deps.broker.history(channel, { limit: 0 });
      }
    } else if (options.deliverLatest && historyOn) {
      const h = await deps.broker.history(channel, { limit: 1, reverse: true });
      if (h.publications.length > 0) result.publications = h.publications;
      position = h;
      latestOnly = true;
    } else if (historyOn) {
      position = await deps.broker.history(channel, { limit: 0 });
    }
  } catch (err) {
    await releaseSubscription(state, deps, sub);
    throw err;
  }
  if (recoverable) result.recoverable = true;
  if (sub.delta) result.delta = true;
  if (positioned && position) {
    result.positioned = true;
    result.offset = position.offset;
    result.epoch = position.epoch;
  }
  if (req.expiresAt !== undefined) {
    result.expires = true;
    result.ttl = Math.max(0, req.expiresAt - Math.floor(Date.now() / 1000));
  }
  scope.pending.push({ sub, result, position: position && { offset: position.offset, epoch: position.epoch }, latestOnly });
  return result;
}
