import type { NamespaceOptions } from '../../../src/config/index.js';
import type { ChannelName } from '../../../src/broker/index.js';
import { DisconnectCode, DisconnectError, ErrorCode, ProtocolError } from '../../../src/protocol/index.js';
import type { ConnectionState } from '../state.js';

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

const readRules = {
  history: { subscriber: 'allowHistoryForSubscriber', client: 'allowHistoryForClient' },
  presence: { subscriber: 'allowPresenceForSubscriber', client: 'allowPresenceForClient' },
} as const;

/**
 * Who may read a channel's history or presence: its subscribers (the namespace's
 * allow*ForSubscriber, on by default), or any connected client where allow*ForClient is on, as
 * in Centrifugo. A client that is not subscribed still cannot read what it could never
 * subscribe to: anonymous where the namespace refuses them, or another user's `#` channel.
 */
export function requireReader(state: ConnectionState, channel: string, kind: keyof typeof readRules, resolve: (channel: string) => { name: ChannelName; options: NamespaceOptions }): NamespaceOptions {
  const rule = readRules[kind];
  const sub = state.subs.get(channel);
  if (sub && sub.options[rule.subscriber]) return sub.options;
  const { name, options } = sub ? { name: undefined, options: sub.options } : resolve(channel);
  if (!options[rule.client]) {
    throw new ProtocolError(ErrorCode.PermissionDenied, sub ? `${options.name} channels give no ${kind} to subscribers` : `subscribe to ${channel} first`);
  }
  if (name) {
    if (state.user === '' && !options.anonymous) throw new ProtocolError(ErrorCode.PermissionDenied, `anonymous clients may not read ${name.namespace} channels`);
    if (name.users !== undefined && options.userLimited && (state.user === '' || !name.users.includes(state.user))) {
      throw new ProtocolError(ErrorCode.PermissionDenied, `${name.channel} is limited to its own users`);
    }
  }
  return options;
}
