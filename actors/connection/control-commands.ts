import type { ControlCommand } from '../../src/broker/index.js';
import type { DisconnectCode } from '../../src/protocol/index.js';
import type { ConnectionMsg } from './messages.js';
import type { ConnectionRegistry } from './registry.js';

/** The connection message a server API command becomes (the command came from this node's API or another node's). */
function messageOf(cmd: ControlCommand): ConnectionMsg {
  switch (cmd.kind) {
    case 'unsubscribe':
      return { type: 'unsubscribe', channel: cmd.channel };
    case 'disconnect':
      return { type: 'disconnect', code: cmd.code as DisconnectCode, ...(cmd.reason === undefined ? {} : { reason: cmd.reason }) };
    case 'subscribe':
      return { type: 'subscribe', channel: cmd.channel, ...(cmd.data === undefined ? {} : { data: cmd.data }), ...(cmd.recoverSince ? { recoverSince: cmd.recoverSince } : {}) };
    case 'refresh':
      return { type: 'refresh', ...(cmd.expired ? { expired: true } : {}), ...(cmd.expireAt === undefined ? {} : { expireAt: cmd.expireAt }), ...(cmd.info === undefined ? {} : { info: cmd.info }) };
  }
}

/** Hands a server API command to the user's connections on this node (or to one client of them); returns how many got it. */
export function applyControl(registry: ConnectionRegistry, cmd: ControlCommand): number {
  return registry.tellUser(cmd.user, messageOf(cmd), cmd.client);
}
