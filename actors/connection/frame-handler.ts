import {
  type Command, DisconnectError, ErrorCode, ProtocolError, type ServerMessage, commandMethod,
} from '../../src/protocol/index.js';
import type { InboundFrame } from '../../src/gateway/index.js';
import type { ConnectionDeps } from './deps.js';
import type { FrameScope } from './frame-scope.js';
import type { ConnectionState } from './state.js';
import { commitSubscriptions } from './subscription-commit.js';
import { connect } from './commands/connect.js';
import { subscribe } from './commands/subscribe.js';
import { history, presence, presenceStats, publish, unsubscribe } from './commands/channel-commands.js';
import { refresh, rpc, subRefresh } from './commands/session-commands.js';
import { scheduleExpiry } from './commands/expiry.js';
import { releaseConnection } from './lifecycle.js';
import { requireConnected } from './commands/guards.js';

/** A command handler failed in a way the protocol does not describe: a crash for the supervisor. */
export class CommandCrashError extends Error {
  readonly code = 'COMMAND_CRASH';
  constructor(method: string, cause: unknown) {
    super(`${method} handler crashed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'CommandCrashError';
  }
}

/**
 * Runs a frame's commands in order and sends their replies in one frame. New subscriptions go
 * live in the same synchronous step as that send, so a publication can never overtake its
 * subscribe reply. A crash answers that command with error 100, finishes the frame, and is then
 * rethrown for the actor's supervision policy to count.
 */
export async function handleFrame(state: ConnectionState, frame: InboundFrame, deps: ConnectionDeps, scope: FrameScope): Promise<void> {
  let crash: CommandCrashError | undefined;
  const firstLimited = frame.commands.length - frame.limited;
  for (let i = 0; i < frame.commands.length; i++) {
    const cmd = frame.commands[i] as Command;
    const method = commandMethod(cmd);
    if (i >= firstLimited) {
      scope.replies.push({ id: cmd.id, error: new ProtocolError(ErrorCode.TooManyRequests).toReplyError() });
      deps.metrics.commands.inc({ method, result: String(ErrorCode.TooManyRequests) });
      continue;
    }
    try {
      const result = await runCommand(state, cmd, deps, scope);
      if (cmd.id !== 0) scope.replies.push({ id: cmd.id, [method]: result ?? {} } as ServerMessage);
      deps.metrics.commands.inc({ method, result: 'ok' });
    } catch (err) {
      if (err instanceof DisconnectError) {
        deps.metrics.commands.inc({ method, result: String(err.code) });
        await flushFrame(state, deps, scope);
        state.port.close(err.code, err.reason);
        return;
      }
      const perr = err instanceof ProtocolError ? err : undefined;
      if (!perr) {
        crash ??= new CommandCrashError(method, err);
        deps.log.warn({ err, method, client: state.client }, 'command crashed');
      }
      const code = perr?.code ?? ErrorCode.Internal;
      deps.metrics.commands.inc({ method, result: String(code) });
      if (cmd.id !== 0) scope.replies.push({ id: cmd.id, error: (perr ?? new ProtocolError(ErrorCode.Internal)).toReplyError() });
    } finally {
      deps.metrics.observeCommand(method, (performance.now() - frame.receivedAt) / 1000);
    }
    if (state.released) return;
  }
  await flushFrame(state, deps, scope);
  if (crash) throw crash;
}

/** Commits the scope's new subscriptions and sends its replies and pushes in the same step. */
export async function flushFrame(state: ConnectionState, deps: ConnectionDeps, scope: FrameScope): Promise<void> {
  const pending = scope.pending;
  scope.pending = [];
  try {
    await commitSubscriptions(state, deps, pending);
  } finally {
    // Synchronous with the native subscribes above (no await between): see commitSubscriptions.
    state.port.send(scope.replies);
    scope.replies = [];
  }
  let expiring = false;
  for (const p of pending) {
    if (!p.sub.committed) continue;
    if (p.sub.expiresAt !== undefined) expiring = true;
    if (p.sub.options.presence) await deps.broker.addPresence(p.sub.channel, state.info(p.sub));
    if (p.sub.joinLeave) await deps.broker.publishJoin(p.sub.channel, state.info(p.sub));
  }
  if (expiring) scheduleExpiry(state, scope.self);
  if (state.released) await releaseConnection(state, deps);
}

function runCommand(state: ConnectionState, cmd: Command, deps: ConnectionDeps, scope: FrameScope): Promise<unknown> | undefined {
  if ('connect' in cmd) return connect(state, cmd.connect, deps, scope);
  if ('subscribe' in cmd) return subscribe(state, cmd.subscribe, deps, scope);
  if ('unsubscribe' in cmd) return unsubscribe(state, cmd.unsubscribe, deps);
  if ('publish' in cmd) return publish(state, cmd.publish, deps);
  if ('history' in cmd) return history(state, cmd.history, deps);
  if ('presence' in cmd) return presence(state, cmd.presence, deps);
  if ('presence_stats' in cmd) return presenceStats(state, cmd.presence_stats, deps);
  if ('rpc' in cmd) return rpc(state, cmd.rpc, deps);
  if ('refresh' in cmd) return refresh(state, cmd.refresh, deps, scope.self);
  if ('sub_refresh' in cmd) return subRefresh(state, cmd.sub_refresh, deps, scope.self);
  // send: asynchronous messages to the server; no handler consumes them yet, and they get no
  // reply. Before connect it is refused like every other command.
  requireConnected(state);
  return undefined;
}
