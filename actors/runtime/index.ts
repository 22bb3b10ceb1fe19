export { ActorRuntime, type ActorRuntimeOptions } from './runtime.js';
export { ShardedSupervisor, type ShardedSupervisorOptions } from './sharded-supervisor.js';
export { ask } from './ask.js';
export {
  ActorRuntimeError,
  ActorStoppedError,
  AskTimeoutError,
  HandlerTimeoutError,
  MailboxFullError,
  RuntimeNotRunningError,
} from './errors.js';
export type {
  ActorContext,
  ActorRef,
  CrashDecision,
  RuntimeLogger,
  RuntimeStats,
  SpawnOptions,
  Supervisor,
} from './types.js';
