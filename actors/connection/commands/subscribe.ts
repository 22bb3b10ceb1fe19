import { DisconnectCode, DisconnectError, ErrorCode, ProtocolError, carriesDelta, type SubscribeRequest, type SubscribeResult } from '../../../src/protocol/index.js';
import type { ConnectionDeps } from '../deps.js';
import type { FrameScope } from '../frame-scope.js';
import type { ConnectionState } from '../state.js';
import { openSubscription } from '../subscription-open.js';
import { overriddenOptions } from '../subscribe-override.js';
import { checkSubscribe, requireConnected } from './guards.js';

/** centrifuge-js sets this flag when the app gives getState: an unrecovered position is an error then. */
const FLAG_REJECT_UNRECOVERED = 2;

export async function subscribe(state: ConnectionState, req: SubscribeRequest, deps: ConnectionDeps, scope: FrameScope): Promise<SubscribeResult> {
  requireConnected(state);
  if (state.subs.has(req.channel)) throw new ProtocolError(ErrorCode.AlreadySubscribed);
  if (state.subs.size >= deps.limits.maxChannels) throw new ProtocolError(ErrorCode.LimitExceeded, `at most ${deps.limits.maxChannels} channels per connection`);
  const { name, options: namespaceOptions } = deps.namespaces.resolve(req.channel);
  let options = namespaceOptions;
  let expiresAt: number | undefined;
  let chanInfo: unknown;
  let data: unknown;
  let forcePositioning = false;
  if (req.token) {
    const claims = await subscriptionClaimsOf(deps, req.token, req.channel, state);
    expiresAt = claims.exp;
    chanInfo = claims.info;
    data = claims.data;
    options = overriddenOptions(namespaceOptions, claims.override);
    forcePositioning = claims.override.forcePositioning === true;
  } else {
    checkSubscribe(state, name, options);
  }
  // The subscription may have been taken while the token was verified (a later frame can't run, but be exact).
  if (state.subs.has(req.channel)) throw new ProtocolError(ErrorCode.AlreadySubscribed);
  const result = await openSubscription(state, deps, scope, {
    channel: req.channel,
    options,
    recover: req.recover ? { offset: req.offset ?? 0, epoch: req.epoch ?? '' } : undefined,
    wantRecoverable: req.recoverable === true,
    wantPositioned: req.positioned === true || forcePositioning,
    joinLeave: req.join_leave === true,
    rejectUnrecovered: ((req.flag ?? 0) & FLAG_REJECT_UNRECOVERED) !== 0,
    serverSide: false,
    // As in Centrifugo, a delta type the namespace does not allow is not an error: the
    // subscription goes on without delta (the reply says so by leaving `delta` out).
    delta: req.delta === 'fossil' && options.allowedDeltaTypes.includes('fossil') && carriesDelta(state.port.codec) && state.port.deltaTopics === true,
    expiresAt,
    chanInfo,
  });
  if (data !== undefined) result.data = data;
  return result;
}

/**
 * As Centrifugo: a subscription token that does not verify (bad signature, another channel or
 * user) refuses that subscription with 103, and the connection goes on; an expired one is 109.
 */
async function subscriptionClaimsOf(deps: ConnectionDeps, token: string, channel: string, state: ConnectionState): ReturnType<ConnectionDeps['tokens']['verifySubscription']> {
  try {
    return await deps.tokens.verifySubscription(token, channel, state);
  } catch (err) {
    if (err instanceof DisconnectError && err.code === DisconnectCode.InvalidToken) throw new ProtocolError(ErrorCode.PermissionDenied, err.message);
    throw err;
  }
}
