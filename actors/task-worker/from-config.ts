import type { Registry } from 'prom-client';
import { configEntries, type SupernovaConfig } from '../../src/config/index.js';
import type { RedisConnector } from '../../src/redis/index.js';
import type { RpcMethod } from '../connection/index.js';
import type { Supervisor } from '../runtime/index.js';
import type { Cache } from '../cache-shard/index.js';
import { barReader } from './backtest/bar-reader.js';
import { SMA_TASK, smaBacktestTask } from './backtest/sma-task.js';
import { RECOMPUTE_TASK, RECOMPUTE_TIMEOUT_MS, sentimentRecomputeTask, type RecomputeScorer, type RecomputeStore } from './sentiment/recompute-task.js';
import { CpuPool } from './cpu-pool.js';
import { DurableTasks } from './durable-tasks.js';
import { MemoryTasks } from './memory-tasks.js';
import { TaskRegistry } from './registry.js';
import { registerTaskMetrics } from './task-metrics.js';
import { taskRpcMethods } from './task-rpc.js';
import type { StoredResult, TaskLimits, Tasks } from './tasks.js';
import type { TaskCompletion } from './types.js';

export type TasksConfig = Pick<SupernovaConfig,
  | 'taskQueue' | 'taskWorkersMin' | 'taskWorkersMax' | 'taskQueueMax' | 'taskTimeoutMs' | 'taskTimeoutMaxMs' | 'taskResultTtlMs' | 'taskRecordsMax'
  | 'taskResultMaxBytes' | 'taskResultsMaxBytes' | 'taskAttempts' | 'taskRetryBaseMs' | 'taskAgingMs' | 'taskScaleIntervalMs' | 'taskScaleUpWaitMs'
  | 'taskScaleDownIdleMs' | 'taskCpuThreads' | 'taskBatchMaxItems' | 'taskArgsMaxBytes' | 'taskLockMs' | 'redisPrefix'
  | 'sentiment' | 'databaseUrl' | 'sentimentEmaAlpha' | 'sentimentBatchMax' | 'mlReplicas' | 'mlMaxQueued'>;

export interface TasksDeps {
  runtime: { supervisor(name: string): Supervisor };
  /** Redis mode (BullMQ) when given and SUPERNOVA_TASK_QUEUE is not `memory`. */
  redis?: RedisConnector | undefined;
  /** Finished tasks are written through it when it has a Redis or PostgreSQL tier (memory mode). */
  cache?: Cache | undefined;
  registry: Registry;
  /** What `backtest.sma` reads. */
  bars: { store: Parameters<typeof barReader>[0]; archive?: Parameters<typeof barReader>[1] | undefined };
  /**
   * What `sentiment.recompute` rescores with and writes to: given when the engine has the
   * sentiment model and a database; without, the type is unavailable and says what it needs.
   */
  sentiment?: { store: RecomputeStore; scorer: RecomputeScorer } | undefined;
  /** Pushes a completion to `user#ID`. */
  publish: (channel: string, data: unknown) => Promise<unknown>;
  onError: (where: string, err: unknown) => void;
  /** This node's id (redis mode: which engine ran a task). */
  node: string;
}

export function taskLimits(c: TasksConfig): TaskLimits {
  return {
    workersMin: c.taskWorkersMin, workersMax: c.taskWorkersMax, queueMax: c.taskQueueMax, timeoutMs: c.taskTimeoutMs, timeoutMaxMs: c.taskTimeoutMaxMs,
    resultTtlMs: c.taskResultTtlMs, recordsMax: c.taskRecordsMax, resultMaxBytes: c.taskResultMaxBytes, resultsMaxBytes: c.taskResultsMaxBytes,
    attempts: c.taskAttempts, retryBaseMs: c.taskRetryBaseMs, agingMs: c.taskAgingMs, scaleIntervalMs: c.taskScaleIntervalMs,
    scaleUpWaitMs: c.taskScaleUpWaitMs, scaleDownIdleMs: c.taskScaleDownIdleMs, batchMaxItems: c.taskBatchMaxItems, argsMaxBytes: c.taskArgsMaxBytes,
  };
}

/**
 * The task service the configuration describes, with the built-in types, its metrics, its RPC
 * methods and the summary the metrics channel and /performance/report show.
 */
export function tasksFrom(c: TasksConfig, deps: TasksDeps): { tasks: Tasks; rpc: Record<string, RpcMethod>; summary: () => Record<string, unknown> } {
  const registry = new TaskRegistry().register(SMA_TASK, smaBacktestTask(barReader(deps.bars.store, deps.bars.archive)));
  registerRecompute(registry, c, deps.sentiment);
  const limits = taskLimits(c);
  const cpu = new CpuPool({ threads: c.taskCpuThreads, maxQueue: c.taskWorkersMax });
  const durable = deps.redis && c.taskQueue !== 'memory' ? deps.redis : undefined;
  const metrics = registerTaskMetrics(deps.registry, () => tasks.stats());
  const events = {
    ...metrics.events,
    finished: (view: TaskCompletion, user: string | undefined) => {
      if (!user) return;
      const push: TaskCompletion = { id: view.id, type: view.type, status: view.status, ...(view.result !== undefined ? { result: view.result } : {}), ...(view.error !== undefined ? { error: view.error } : {}) };
      deps.publish(`user#${user}`, { task: push }).catch((err: unknown) => deps.onError('task completion push', err));
    },
  };
  const cache = deps.cache;
  const results = cache && (cache.tiers.l2 || cache.tiers.l3)
    ? {
      set: (key: string, value: StoredResult) => cache.set(key, value),
      get: (key: string) => cache.get<StoredResult | undefined>(key, () => Promise.reject(new Error('no such task'))).catch(() => undefined),
    }
    : undefined;
  const tasks: Tasks = durable
    ? new DurableTasks({ connector: durable, prefix: c.redisPrefix, lockMs: c.taskLockMs, node: deps.node, runtime: deps.runtime, registry, cpu, limits, events, onError: deps.onError })
    : new MemoryTasks({ runtime: deps.runtime, registry, cpu, limits, events, ...(results ? { results } : {}) });
  return { tasks, rpc: taskRpcMethods(tasks), summary: metrics.summary };
}

/**
 * `sentiment.recompute` with the model and a database; otherwise marked unavailable, so that a
 * submission is told which setting it needs rather than that the type is unknown. A page is one
 * batch of SUPERNOVA_SENTIMENT_BATCH_MAX per replica, so that every replica has a batch at once.
 */
function registerRecompute(registry: TaskRegistry, c: TasksConfig, sentiment: TasksDeps['sentiment']): void {
  if (sentiment) {
    const pageSize = Math.max(1, Math.min(1_024, c.mlMaxQueued, c.sentimentBatchMax * Math.max(1, c.mlReplicas)));
    // Its own queue: engines without a database or the model never take its jobs.
    registry.register(RECOMPUTE_TASK, { ...sentimentRecomputeTask({ ...sentiment, alpha: c.sentimentEmaAlpha, pageSize, timeoutMs: Math.min(RECOMPUTE_TIMEOUT_MS, c.taskTimeoutMaxMs) }), ownQueue: true });
    return;
  }
  const needs = [
    ...(c.databaseUrl ? [] : [`${configEntries.databaseUrl.env} (the stored news and sentiment)`]),
    ...(c.sentiment ? [] : [`${configEntries.sentiment.env}=true (the model)`]),
  ];
  registry.unavailable(RECOMPUTE_TASK, `it needs ${needs.length > 0 ? needs.join(' and ') : 'the sentiment model and a database'}`);
}
