import { serverRefresh, serverSubscribe } from './server-commands.js';
import { DisconnectCode } from '../../src/protocol/index.js';
import type { SocketPort } from '../../src/gateway/index.js';
import type { SpawnOptions } from '../runtime/index.js';
import type { ConnectionDeps } from './deps.js';
import type { ConnectionMsg } from './messages.js';
import { ConnectionState } from './state.js';
import { handleFrame } from './frame-handler.js';
import { expire, releaseConnection, serverUnsubscribe } from './lifecycle.js';

export interface ConnectionActorLimits {
  mailboxLimit: number;
  handlerTimeoutMs: number;
  maxCrashes: number;
  crashWindowMs: number;
}

/** The actor of one WebSocket: its commands, subscriptions and claims, handled one message at a time. */
export function connectionActor(deps: ConnectionDeps, port: SocketPort, limits: ConnectionActorLimits): SpawnOptions<ConnectionState, ConnectionMsg> {
  return {
    name: 'conn',
    initialState: () => new ConnectionState(port),
    async handle(state, msg, ctx) {
      switch (msg.type) {
        case 'frame':
          if (!state.released) await handleFrame(state, msg.frame, deps, { self: ctx.self, replies: [], pending: [] });
          break;
        case 'closed':
          await releaseConnection(state, deps);
          ctx.self.stop();
          break;
        case 'expire':
          await expire(state, deps, ctx.self);
          break;
        case 'unsubscribe':
          await serverUnsubscribe(state, deps, msg.channel, msg.code);
          break;
        case 'disconnect':
          state.port.close(msg.code, msg.reason);
          break;
        case 'subscribe':
          await serverSubscribe(state, deps, ctx.self, msg);
          break;
        case 'refresh':
          serverRefresh(state, ctx.self, msg);
          break;
      }
      return state;
    },
    // Stopped by its supervisor after repeated crashes (or by shutdown): the client must not be
    // left connected to an actor that no longer serves it.
    onStop(state) {
      if (!state.port.closed) state.port.close(DisconnectCode.ServerError);
      releaseConnection(state, deps).catch((err: unknown) => deps.log.warn({ err }, 'release after stop failed'));
    },
    ...limits,
  };
}
