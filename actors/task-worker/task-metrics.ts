import { Gauge, Histogram, type Registry } from 'prom-client';
import { sourcedCounter } from '../../src/metrics/index.js';
import { histogramQuantile } from '../../src/metrics/histogram-quantile.js';
import type { TaskEvents, TaskStats } from './tasks.js';
import { PRIORITIES } from './types.js';

const WAIT_BUCKETS = [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const RUN_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 600];

/**
 * supernova_task_* in the engine's registry: queue depth by priority, pool size, wait and run
 * time histograms, and the outcome counters (read from the service's own at scrape time). The
 * returned events go to the service, which calls them per task.
 */
export function registerTaskMetrics(registry: Registry, stats: () => TaskStats): { events: Required<Pick<TaskEvents, 'started' | 'ran'>>; summary: () => Record<string, unknown> } {
  const wait = new Histogram({ name: 'supernova_task_wait_seconds', help: 'Time tasks waited in the queue before a worker took them, by priority', labelNames: ['priority'], buckets: WAIT_BUCKETS, registers: [registry] });
  const run = new Histogram({ name: 'supernova_task_run_seconds', help: 'Run time of task attempts, by type and outcome (ok, error, timeout, cancelled)', labelNames: ['type', 'outcome'], buckets: RUN_BUCKETS, registers: [registry] });
  new Gauge({
    name: 'supernova_task_queue_depth', help: 'Tasks queued, by priority (redis mode: waiting in the shared queue)', labelNames: ['priority'], registers: [registry],
    collect() {
      const q = stats().queued;
      for (const p of PRIORITIES) this.set({ priority: p }, q[p]);
    },
  });
  const gauge = (name: string, help: string, read: (s: TaskStats) => number) => new Gauge({ name, help, registers: [registry], collect() { this.set(read(stats())); } });
  gauge('supernova_task_workers', 'Task worker actors in the pool (between SUPERNOVA_TASK_WORKERS_MIN and _MAX)', (s) => s.workers);
  gauge('supernova_task_running', 'Tasks running on this engine', (s) => s.running);
  gauge('supernova_task_cpu_threads', 'Threads of the CPU-task pool', (s) => s.cpu.threads);
  gauge('supernova_task_results_kept', 'Finished tasks kept in memory', (s) => s.kept);
  const c = () => stats().counters;
  sourcedCounter('supernova_task_finished_total', 'Tasks finished, by status', registry, () => {
    const k = c();
    return { succeeded: k.succeeded, failed: k.failed, timed_out: k.timedOut, cancelled: k.cancelled };
  }, 'status');
  sourcedCounter('supernova_task_submitted_total', 'Tasks and batches accepted', registry, () => ({ '': c().submitted }));
  sourcedCounter('supernova_task_refused_total', 'Submissions refused, by reason (queue_full: SUPERNOVA_TASK_QUEUE_MAX, 429; invalid: type, args or timeout, 400)', registry, () => ({ queue_full: c().rejected, invalid: c().invalid }), 'reason');
  sourcedCounter('supernova_task_retries_total', 'Attempts retried after a failure or timeout (retryable types)', registry, () => ({ '': c().retries }));
  sourcedCounter('supernova_task_timeouts_total', 'Attempts that ran out of time (retried or not)', registry, () => ({ '': timeouts }));
  sourcedCounter('supernova_task_pool_changes_total', 'Workers added or retired by the autoscaler, by direction', registry, () => ({ up: c().scaledUp, down: c().scaledDown }), 'direction');
  sourcedCounter('supernova_task_worker_restarts_total', 'Worker actors replaced after their supervisor stopped them', registry, () => ({ '': c().workerRestarts }));
  sourcedCounter('supernova_task_handed_back_total', 'Redis mode: jobs of the shared queue of a type this engine does not run, handed back for another engine (a type some engines lack should have a queue of its own: ownQueue)', registry, () => ({ '': c().handedBack }));
  sourcedCounter('supernova_task_dispatcher_restarts_total', 'Memory mode: resets of the dispatcher actor after its handler crashed (the task it was taking fails, the rest go on)', registry, () => ({ '': c().dispatcherRestarts }));
  let timeouts = 0;
  // The same observations, counted here for the quantiles of the metrics channel and the report.
  const waits = new Float64Array(WAIT_BUCKETS.length + 1);
  const runs = new Float64Array(RUN_BUCKETS.length + 1);
  const count = (into: Float64Array, bounds: number[], v: number) => {
    let i = 0;
    while (i < bounds.length && v > (bounds[i] as number)) i++;
    into[i] = (into[i] as number) + 1;
  };
  const quantiles = (counts: Float64Array, bounds: number[]) => {
    let sum = 0;
    const buckets = [...bounds, Infinity].map((le, i) => ({ le, count: (sum += counts[i] as number) }));
    return { count: sum, p50: histogramQuantile(0.5, buckets) ?? null, p99: histogramQuantile(0.99, buckets) ?? null };
  };
  return {
    events: {
      started: (_type, priority, seconds) => {
        wait.observe({ priority }, seconds);
        count(waits, WAIT_BUCKETS, seconds);
      },
      ran: (type, outcome, seconds) => {
        if (outcome === 'timeout') timeouts++;
        run.observe({ type, outcome }, seconds);
        count(runs, RUN_BUCKETS, seconds);
      },
    },
    summary: () => {
      const s = stats();
      return {
        mode: s.mode, queued: s.queued, oldestWaitMs: s.oldestWaitMs, running: s.running, workers: s.workers, cpuThreads: s.cpu.threads,
        ...s.counters, timeouts, waitSeconds: quantiles(waits, WAIT_BUCKETS), runSeconds: quantiles(runs, RUN_BUCKETS),
      };
    },
  };
}
