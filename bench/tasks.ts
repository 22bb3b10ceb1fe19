/**
 * `npm run bench:tasks`: the task-worker targets in one run, each against a baseline measured
 * here. Queue overhead per trivial task (memory mode) against a bare Promise.all of the same
 * calls; the p99 wait of high-priority tasks behind 10,000 queued low ones; event-loop lag p99
 * while backtests run in the CPU pool against the same backtests on the main thread; and durable
 * mode's (BullMQ on Redis) throughput against memory mode's.
 */
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ActorRuntime } from '../actors/runtime/index.js';
import { CpuPool, DurableTasks, MemoryTasks, TaskRegistry, type TaskLimits, type Tasks } from '../actors/task-worker/index.js';
import { seriesBytes, smaBacktest, type SmaInput } from '../actors/task-worker/backtest/sma-kernel.js';
import { createRedisConnector } from '../src/redis/index.js';
import { writeResultFile } from './orchestrator/paths.js';
import { runCli } from './orchestrator/run-cli.js';
import { ratioTable, type RatioRow } from './shared/ratio-table.js';

const HELP = `npm run bench:tasks [-- options]
  --tasks N       trivial tasks of the overhead round (default 100000)
  --redis URL     Redis of the durable round (default SUPERNOVA_REDIS_URL or redis://127.0.0.1:6379; "none" skips it)
  --durable N     tasks of the durable round (default 5000)
  --bars N        bars of each backtest of the lag round (default 200000, the most backtest.sma reads)`;

const LIMITS: TaskLimits = {
  workersMin: 50, workersMax: 50, queueMax: 1_000_000, timeoutMs: 60_000, timeoutMaxMs: 600_000, resultTtlMs: 60_000, recordsMax: 1_000_000,
  resultMaxBytes: 1024 * 1024, resultsMaxBytes: 1024 * 1024 * 1024, attempts: 1, retryBaseMs: 100, agingMs: 5_000,
  scaleIntervalMs: 100, scaleUpWaitMs: 50, scaleDownIdleMs: 60_000, batchMaxItems: 10_000, argsMaxBytes: 65_536,
};

const kernel = new URL(`../actors/task-worker/backtest/sma-kernel.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url);

function registry(): TaskRegistry {
  const r = new TaskRegistry();
  const n = z.object({ n: z.number() });
  r.register('noop', { schema: n, run: (a) => a.n });
  r.register('sleep', { schema: z.object({ ms: z.number() }), run: (a) => new Promise((res) => setTimeout(res, a.ms)) });
  // The input is made once: the figure is the backtest's cost to the event loop, not the bench's.
  const inputs = new Map<number, SmaInput>();
  r.register('sma', { schema: z.object({ bars: z.number() }), cpu: { module: kernel, name: 'smaBacktest' }, run: (a, ctx) => {
    let input = inputs.get(a.bars);
    if (!input) inputs.set(a.bars, (input = smaInput(a.bars)));
    return ctx.cpu(input);
  } });
  return r;
}

/** A random walk of `n` bars: the backtest's input, built the same way for both rounds. */
function smaInput(n: number): SmaInput {
  const closes = new Float64Array(n);
  let p = 100;
  let seed = 7;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    p *= 1 + (seed / 2 ** 31 - 0.5) * 0.002;
    closes[i] = p;
  }
  return { starts: seriesBytes(closes.map((_, i) => i * 60_000)), closes: seriesBytes(closes), fast: 20, slow: 100, capital: 10_000, periodsPerYear: 98_280, maxCurvePoints: 2_000 };
}

async function memoryTasks(limits: Partial<TaskLimits> = {}, cpu?: CpuPool): Promise<{ tasks: MemoryTasks; stop(): Promise<void> }> {
  const runtime = new ActorRuntime({ name: 'bench-tasks' });
  runtime.start();
  const tasks = new MemoryTasks({ runtime, registry: registry(), limits: { ...LIMITS, ...limits }, ...(cpu ? { cpu } : {}) });
  await tasks.start();
  return { tasks, stop: async () => { await tasks.stop(); await runtime.stop(); } };
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))] as number;

/** Per-task cost of submit + wait on trivial tasks, against calling the same function through Promise.all. */
async function overhead(n: number): Promise<{ bareMs: number; tasksMs: number; usPerTask: number }> {
  const { tasks, stop } = await memoryTasks();
  const run = (a: { n: number }) => a.n;
  const bare = async () => {
    const t0 = performance.now();
    await Promise.all(Array.from({ length: n }, async (_, i) => run({ n: i })));
    return performance.now() - t0;
  };
  const queued = async () => {
    const t0 = performance.now();
    await Promise.all(Array.from({ length: n }, (_, i) => tasks.wait(tasks.submitNow({ type: 'noop', args: { n: i } }))));
    return performance.now() - t0;
  };
  // A warm-up of each, then the best of three: the figure is the queue's cost, not the JIT's or a GC's.
  await bare();
  await queued();
  const bareMs = Math.min(await bare(), await bare(), await bare());
  const tasksMs = Math.min(await queued(), await queued(), await queued());
  await stop();
  return { bareMs, tasksMs, usPerTask: ((tasksMs - bareMs) * 1000) / n };
}

/** High-priority tasks submitted every 5 ms while 10,000 low ones (5 ms each, 50 workers) are queued. */
async function priorityWait(): Promise<{ highP99Ms: number; highP50Ms: number; lowP99Ms: number; highs: number }> {
  const { tasks, stop } = await memoryTasks();
  const lows = Array.from({ length: 10_000 }, () => tasks.submitNow({ type: 'sleep', args: { ms: 5 }, priority: 'low' }));
  const highs: string[] = [];
  while (tasks.stats().queued.low > 500) {
    highs.push(tasks.submitNow({ type: 'noop', args: { n: 0 }, priority: 'high' }));
    await new Promise((r) => setTimeout(r, 5));
  }
  const wait = async (ids: string[]) => (await Promise.all(ids.map((id) => tasks.wait(id)))).map((v) => (v.startedAt as number) - v.createdAt);
  const h = await wait(highs);
  const l = await wait(lows);
  await stop();
  return { highP99Ms: quantile(h, 0.99), highP50Ms: quantile(h, 0.5), lowP99Ms: quantile(l, 0.99), highs: h.length };
}

/** Event-loop delay p99 while `count` backtests of `bars` bars run in the pool, and while the same run on the main thread. */
async function loopLag(count: number, bars: number): Promise<{ poolP99Ms: number; mainP99Ms: number; idleP99Ms: number; poolMs: number; mainMs: number }> {
  const measure = async (work: () => Promise<void>) => {
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    // A ticking timer: the loop's responsiveness is what a socket would see.
    const tick = setInterval(() => undefined, 1);
    const t0 = performance.now();
    await work();
    const ms = performance.now() - t0;
    clearInterval(tick);
    h.disable();
    return { p99: h.percentile(99) / 1e6, ms };
  };
  const { tasks, stop } = await memoryTasks({ workersMin: 4, workersMax: 4 }, new CpuPool({ threads: 1, maxQueue: 64 }));
  // Warm both paths (module load, JIT) on the same input before measuring.
  for (let i = 0; i < 2; i++) await tasks.wait(tasks.submitNow({ type: 'sma', args: { bars } }));
  smaBacktest(smaInput(bars));
  const pool = await measure(async () => {
    await Promise.all(Array.from({ length: count }, () => tasks.wait(tasks.submitNow({ type: 'sma', args: { bars } }))));
  });
  await stop();
  const input = smaInput(bars);
  const main = await measure(async () => {
    for (let i = 0; i < count; i++) {
      smaBacktest(input);
      await new Promise((r) => setImmediate(r));
    }
  });
  // And the loop with nothing to do for as long: what the machine (2 cores shared) adds by itself.
  const idle = await measure(() => new Promise((r) => setTimeout(r, pool.ms)));
  return { poolP99Ms: pool.p99, mainP99Ms: main.p99, idleP99Ms: idle.p99, poolMs: pool.ms, mainMs: main.ms };
}

/** Trivial tasks per second through submit + wait, 200 in flight, in memory and in redis mode. */
async function throughput(make: () => Promise<{ tasks: Tasks; stop(): Promise<void> }>, n: number): Promise<number> {
  const { tasks, stop } = await make();
  let next = 0;
  const lane = async () => {
    while (next < n) {
      next++;
      await tasks.wait(await tasks.submit({ type: 'noop', args: { n: next } }));
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 200 }, lane));
  const s = (performance.now() - t0) / 1000;
  await stop();
  return n / s;
}

async function durableTasks(url: string): Promise<{ tasks: Tasks; stop(): Promise<void> }> {
  const runtime = new ActorRuntime({ name: 'bench-durable' });
  runtime.start();
  const prefix = `snbench:tasks:${randomUUID().slice(0, 8)}`;
  const connector = createRedisConnector({ url });
  const tasks = new DurableTasks({ connector, prefix, lockMs: 30_000, node: 'bench', runtime, registry: registry(), limits: { ...LIMITS, scaleIntervalMs: 1_000 }, onError: () => undefined });
  await tasks.start();
  return {
    tasks,
    stop: async () => {
      await tasks.stop();
      await runtime.stop();
      const redis = connector.command('bench-clean');
      let cursor = '0';
      do {
        const [next, keys] = (await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)) as [string, string[]];
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
      redis.disconnect();
    },
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { tasks: { type: 'string' }, redis: { type: 'string' }, durable: { type: 'string' }, bars: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const startedAt = new Date().toISOString();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const redisUrl = values.redis ?? process.env.SUPERNOVA_REDIS_URL ?? 'redis://127.0.0.1:6379';
  log('cpu split: one process; its event loop on one core, the CPU pool\'s one thread on the other (both rounds of the lag figure); Redis, for the durable round, shares the machine');

  const bars = Number(values.bars ?? 200_000);
  log(`event-loop lag: 8 backtests of ${bars} bars in the CPU pool, then the same on the main thread; 3 rounds, medians (first: nothing else has filled the heap yet)`);
  const rounds = [];
  for (let i = 0; i < 3; i++) rounds.push(await loopLag(8, bars));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1] as number;
  const lag = { poolP99Ms: median(rounds.map((r) => r.poolP99Ms)), mainP99Ms: median(rounds.map((r) => r.mainP99Ms)), idleP99Ms: median(rounds.map((r) => r.idleP99Ms)), poolMs: median(rounds.map((r) => r.poolMs)), mainMs: median(rounds.map((r) => r.mainMs)), rounds };
  log(`  pool p99 ${lag.poolP99Ms.toFixed(2)} ms (${lag.poolMs.toFixed(0)} ms), main thread p99 ${lag.mainP99Ms.toFixed(2)} ms (${lag.mainMs.toFixed(0)} ms), idle p99 ${lag.idleP99Ms.toFixed(2)} ms; rounds ${rounds.map((r) => `${r.poolP99Ms.toFixed(1)}/${r.mainP99Ms.toFixed(1)}`).join(', ')}`);

  log('overhead: trivial tasks through submit + wait (50 workers) against a bare Promise.all of the same calls');
  const o = await overhead(Number(values.tasks ?? 100_000));
  log(`  bare ${o.bareMs.toFixed(1)} ms, tasks ${o.tasksMs.toFixed(1)} ms: ${o.usPerTask.toFixed(2)} us per task`);

  log('priority: high tasks every 5 ms behind 10,000 queued low ones (5 ms each, 50 workers)');
  const p = await priorityWait();
  log(`  high p50 ${p.highP50Ms} ms, p99 ${p.highP99Ms} ms over ${p.highs}; low p99 ${p.lowP99Ms} ms`);

  const n = Number(values.durable ?? 5_000);
  log(`throughput: ${n} trivial tasks, 200 in flight, memory mode then durable mode`);
  const memoryRate = await throughput(() => memoryTasks(), n);
  const durableRate = redisUrl === 'none' ? undefined : await throughput(() => durableTasks(redisUrl), n);
  log(`  memory ${memoryRate.toFixed(0)}/s, durable ${durableRate?.toFixed(0) ?? 'skipped'}/s`);

  const rows: RatioRow[] = [
    { benchmark: 'queue overhead per trivial task', metric: 'us', supernova: o.usPerTask, baseline: 'limit', value: undefined, higherIsBetter: false, limit: 20 },
    { benchmark: 'trivial tasks, submit + wait', metric: 'ms', supernova: o.tasksMs, baseline: 'Promise.all', value: o.bareMs, higherIsBetter: false },
    { benchmark: 'high-priority wait behind 10,000 low', metric: 'p99 ms', supernova: p.highP99Ms, baseline: 'low p99', value: p.lowP99Ms, higherIsBetter: false, limit: 50 },
    { benchmark: `event-loop lag, ${bars} bar backtests`, metric: 'p99 ms', supernova: lag.poolP99Ms, baseline: 'main thread', value: lag.mainP99Ms, higherIsBetter: false, limit: 20 },
    { benchmark: `event-loop lag, ${bars} bar backtests`, metric: 'p99 ms', supernova: lag.poolP99Ms, baseline: 'idle loop', value: lag.idleP99Ms, higherIsBetter: false },
    { benchmark: 'throughput, durable against memory', metric: 'tasks/s', supernova: durableRate, baseline: 'memory mode', value: memoryRate, higherIsBetter: true },
  ];
  process.stdout.write(`${ratioTable(rows)}\n`);
  const file = writeResultFile('tasks', startedAt, { startedAt, overhead: o, priority: p, lag, throughput: { memory: memoryRate, durable: durableRate, tasks: n } });
  log(`results: ${file}`);
  return 0;
}

runCli('bench:tasks', main);
