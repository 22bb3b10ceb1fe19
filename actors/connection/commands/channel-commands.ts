import { ErrorCode, ProtocolError, type ChannelRequest, type HistoryRequest, type PublishRequest } from '../../../src/protocol/index.js';
import type { ConnectionDeps } from '../deps.js';
import type { ConnectionState } from '../state.js';
import { releaseSubscription } from '../subscription-release.js';
import { requireConnected, requireReader } from './guards.js';

export async function unsubscribe(state: ConnectionState, req: ChannelRequest, deps: ConnectionDeps): Promise<object> {
  requireConnected(state);
  const sub = state.subs.get(req.channel);
  if (sub) await releaseSubscription(state, deps, sub);
  return {};
}

export async function publish(state: ConnectionState, req: PublishRequest, deps: ConnectionDeps): Promise<object> {
  requireConnected(state);
  const { options } = deps.namespaces.resolve(req.channel);
  if (!options.allowPublish) throw new ProtocolError(ErrorCode.PermissionDenied, `clients may not publish to ${options.name} channels`);
  if (state.user === '' && !options.anonymous) throw new ProtocolError(ErrorCode.PermissionDenied, 'anonymous clients may not publish here');
  const bytes = deps.publications.check(req.channel, req.data);
  await deps.broker.publish(req.channel, req.data, { info: state.info(state.subs.get(req.channel)), bytes });
  return {};
}

export async function history(state: ConnectionState, req: HistoryRequest, deps: ConnectionDeps): Promise<object> {
  requireConnected(state);
  const options = requireReader(state, req.channel, 'history', (ch) => deps.namespaces.resolve(ch));
  if (options.historySize === 0) throw new ProtocolError(ErrorCode.NotAvailable, `${options.name} channels keep no history`);
  const query: { limit: number; reverse?: boolean; since?: { offset: number; epoch: string } } = { limit: req.limit ?? 0 };
  if (req.reverse !== undefined) query.reverse = req.reverse;
  if (req.since !== undefined) query.since = req.since;
  const h = await deps.broker.history(req.channel, query);
  return { publications: h.publications, offset: h.offset, epoch: h.epoch };
}

export async function presence(state: ConnectionState, req: ChannelRequest, deps: ConnectionDeps): Promise<object> {
  requireConnected(state);
  const options = requireReader(state, req.channel, 'presence', (ch) => deps.namespaces.resolve(ch));
  if (!options.presence) throw new ProtocolError(ErrorCode.NotAvailable, `${options.name} channels keep no presence`);
  return { presence: await deps.broker.presence(req.channel) };
}

export async function presenceStats(state: ConnectionState, req: ChannelRequest, deps: ConnectionDeps): Promise<object> {
  requireConnected(state);
  const options = requireReader(state, req.channel, 'presence', (ch) => deps.namespaces.resolve(ch));
  if (!options.presence) throw new ProtocolError(ErrorCode.NotAvailable, `${options.name} channels keep no presence`);
  return deps.broker.presenceStats(req.channel);
}
