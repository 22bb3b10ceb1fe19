export { tasksFrom, taskLimits, type TasksConfig, type TasksDeps } from './from-config.js';
export { MemoryTasks, type MemoryTasksOptions } from './memory-tasks.js';
export { DurableTasks, type DurableTasksOptions } from './durable-tasks.js';
export { TaskRegistry, taskType } from './registry.js';
export { CpuPool, type CpuPoolOptions } from './cpu-pool.js';
export { taskRpcMethods } from './task-rpc.js';
export { registerTaskMetrics } from './task-metrics.js';
export { barReader, type BarReader } from './backtest/bar-reader.js';
export { SMA_TASK, smaBacktestTask } from './backtest/sma-task.js';
export {
  RECOMPUTE_MAX_ITEMS, RECOMPUTE_MAX_SPAN_MS, RECOMPUTE_TASK, sentimentRecomputeTask,
  type RecomputeArgs, type RecomputeOptions, type RecomputeResult, type RecomputeScorer, type RecomputeStore,
} from './sentiment/recompute-task.js';
export { databaseRecomputeStore } from './sentiment/recompute-store.js';
export type { SmaResult, SmaTrade } from './backtest/sma-kernel.js';
export {
  InvalidTaskArgsError, TaskCancelledError, TaskError, TaskNotFoundError, TaskQueueFullError, TasksStoppedError, TasksUnavailableError, TaskTimeoutError, UnavailableTaskTypeError, UnknownTaskTypeError,
} from './errors.js';
export type { StoredResult, TaskCounters, TaskEvents, TaskLimits, TaskResultStore, Tasks, TaskStats } from './tasks.js';
export {
  FINAL_STATUSES, PRIORITIES, TASK_ID_PATTERN, TASK_STATUSES,
  type BatchSubmission, type Priority, type Submission, type TaskCompletion, type TaskContext, type TaskDefinition, type TaskStatus, type TaskView,
} from './types.js';
