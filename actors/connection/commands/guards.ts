import type { NamespaceOptions } from '../../../src/config/index.js';
import type { ChannelName } from '../../../src/broker/index.js';
import { DisconnectCode, DisconnectError, ErrorCode, ProtocolError } from '../../../src/protocol/index.js';
import type { ConnectionState, Subscription } from '../state.js';

export function requireConnected(state: ConnectionState): void {
  // Centrifugo disconnects a client that sends commands before connect: it is not speaking the protocol.
  if (!state.connected) throw new DisconnectError(DisconnectCode.BadRequest, 'connect first');
}

/** Who may subscribe without a subscription token. */
export function checkSubscribe(state: ConnectionState, name: ChannelName, options: NamespaceOptions): void {
  if (state.user === '' && !options.anonymous) throw new ProtocolError(ErrorCode.PermissionDenied, `anonymous clients may not subscribe to ${name.namespace} channels`);
  if (name.users !== undefined && options.userLimited) {
    if (state.user === '' || !name.users.includes(state.user)) throw new ProtocolError(ErrorCode.PermissionDenied, `${name.channel} is limited to its own users`);
    return;
  }
  if (!options.allowSubscribe) throw new ProtocolError(ErrorCode.PermissionDenied, `${name.namespace} channels need a subscription token`);
}

/** History and presence are for the channel's own subscribers. */
export function requireSubscribed(state: ConnectionState, channel: string): Subscription {
  const sub = state.subs.get(channel);
  if (!sub) throw new ProtocolError(ErrorCode.PermissionDenied, `subscribe to ${channel} first`);
  return sub;
}
