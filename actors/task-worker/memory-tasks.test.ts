import { threadId } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ActorRuntime } from '../runtime/index.js';
import { CpuPool } from './cpu-pool.js';
import { InvalidTaskArgsError, TaskNotFoundError, TaskQueueFullError, UnknownTaskTypeError } from './errors.js';
import { MemoryTasks } from './memory-tasks.js';
import { TaskRegistry } from './registry.js';
import type { TaskLimits } from './tasks.js';
import type { TaskView } from './types.js';

const limits: TaskLimits = {
  workersMin: 1, workersMax: 4, queueMax: 1000, timeoutMs: 5_000, timeoutMaxMs: 60_000, resultTtlMs: 60_000, recordsMax: 1000,
  resultMaxBytes: 1024 * 1024, resultsMaxBytes: 16 * 1024 * 1024, attempts: 3, retryBaseMs: 5, agingMs: 1_000,
  scaleIntervalMs: 20, scaleUpWaitMs: 10, scaleDownIdleMs: 200, batchMaxItems: 100, argsMaxBytes: 4096,
};
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fixture = new URL('./fixtures/cpu-work.ts', import.meta.url);

function registry(): TaskRegistry {
  const r = new TaskRegistry();
  r.register('echo', { schema: z.object({ n: z.number() }), run: (a) => a.n });
  r.register('sleep', {
    schema: z.object({ ms: z.number().int().min(0).max(10_000) }),
    run: (a, ctx) => new Promise((resolve) => {
      ctx.progress(0.5);
      const t = setTimeout(() => resolve(a.ms), a.ms);
      ctx.signal.addEventListener('abort', () => clearTimeout(t));
    }),
  });
  r.register('hang', { schema: z.object({}), run: () => new Promise(() => {}) });
  let flaky = 0;
  r.register('flaky', { schema: z.object({ failures: z.number() }), retryable: true, run: (a) => {
    if (flaky++ < a.failures) throw new Error(`failure ${flaky}`);
    return 'ok';
  } });
  r.register('boom', { schema: z.object({}), run: () => { throw new Error('boom'); } });
  r.register('spin', { schema: z.object({ ms: z.number() }), cpu: { module: fixture, name: 'spin' }, run: (a, ctx) => ctx.cpu(a) });
  r.register('echo-cpu', { schema: z.unknown(), cpu: { module: fixture, name: 'echo' }, run: (a, ctx) => ctx.cpu(a) });
  return r;
}

async function started(over: Partial<TaskLimits> = {}, cpu = false): Promise<MemoryTasks> {
  return (await withRuntime(over, cpu)).tasks;
}

async function withRuntime(over: Partial<TaskLimits> = {}, cpu = false, faults = false): Promise<{ tasks: MemoryTasks; runtime: ActorRuntime }> {
  const runtime = new ActorRuntime({ name: 'tasks-test' });
  runtime.start();
  const tasks = new MemoryTasks({ runtime, registry: registry(), limits: { ...limits, ...over }, faults, ...(cpu ? { cpu: new CpuPool({ threads: 1, maxQueue: 8 }) } : {}) });
  await tasks.start();
  cleanups.push(async () => {
    await tasks.stop();
    await runtime.stop();
  });
  return { tasks, runtime };
}

const CRASHED = 'the task dispatcher crashed while taking this task (injected dispatcher fault)';

describe('MemoryTasks', () => {
  it('runs a task and keeps its result', async () => {
    const tasks = await started();
    const id = await tasks.submit({ type: 'echo', args: { n: 7 } });
    const done = await tasks.wait(id);
    expect(done).toMatchObject({ id, type: 'echo', status: 'succeeded', result: 7, progress: 1, attempts: 1 });
    expect(await tasks.status(id)).toMatchObject({ status: 'succeeded', result: 7 });
  });

  it('refuses unknown types, bad args, bad timeouts and huge args with the reason', async () => {
    const tasks = await started();
    await expect(tasks.submit({ type: 'nope', args: {} })).rejects.toBeInstanceOf(UnknownTaskTypeError);
    await expect(tasks.submit({ type: 'echo', args: { n: 'x' } })).rejects.toThrow(/n/);
    await expect(tasks.submit({ type: 'echo', args: null })).rejects.toBeInstanceOf(InvalidTaskArgsError);
    await expect(tasks.submit({ type: 'echo', args: { n: 1 }, timeoutMs: -1 })).rejects.toThrow(/timeoutMs/);
    await expect(tasks.submit({ type: 'echo', args: { n: 1, pad: 'x'.repeat(10_000) } })).rejects.toThrow(/SUPERNOVA_TASK_ARGS_MAX_BYTES/);
    await expect(tasks.status('missing')).rejects.toBeInstanceOf(TaskNotFoundError);
    expect(tasks.stats().counters.invalid).toBe(4);
  });

  it('runs high priority before normal and low queued earlier', async () => {
    const tasks = await started({ workersMax: 1 });
    const order: string[] = [];
    const blocker = await tasks.submit({ type: 'sleep', args: { ms: 50 } });
    const ids = [
      ...(await Promise.all([1, 2].map(() => tasks.submit({ type: 'echo', args: { n: 0 }, priority: 'low' })))),
      ...(await Promise.all([1, 2].map(() => tasks.submit({ type: 'echo', args: { n: 0 }, priority: 'normal' })))),
      await tasks.submit({ type: 'echo', args: { n: 0 }, priority: 'high' }),
    ];
    const labels = ['low', 'low', 'normal', 'normal', 'high'];
    await Promise.all(ids.map((id, i) => tasks.wait(id).then(() => order.push(labels[i] as string))));
    await tasks.wait(blocker);
    expect(order).toEqual(['high', 'normal', 'normal', 'low', 'low']);
  });

  it('ages: a low task that waited longer than the aging step goes before a newer high one', async () => {
    const tasks = await started({ workersMax: 1, agingMs: 30 });
    const blocker = await tasks.submit({ type: 'sleep', args: { ms: 120 } });
    const order: string[] = [];
    const low = await tasks.submit({ type: 'echo', args: { n: 0 }, priority: 'low' });
    await sleep(80);
    const high = await tasks.submit({ type: 'echo', args: { n: 0 }, priority: 'high' });
    await Promise.all([tasks.wait(low).then(() => order.push('low')), tasks.wait(high).then(() => order.push('high'))]);
    await tasks.wait(blocker);
    expect(order).toEqual(['low', 'high']);
  });

  it('times out a stuck task and frees its worker', async () => {
    const tasks = await started({ workersMin: 1, workersMax: 1 });
    const stuck = await tasks.submit({ type: 'hang', args: {}, timeoutMs: 50 });
    const next = await tasks.submit({ type: 'echo', args: { n: 1 } });
    expect(await tasks.wait(stuck)).toMatchObject({ status: 'timed_out', error: 'timed out after 50 ms' });
    expect(await tasks.wait(next)).toMatchObject({ status: 'succeeded' });
    expect(tasks.stats().counters.timedOut).toBe(1);
  });

  it('retries a retryable type with backoff, and not a plain one', async () => {
    const tasks = await started();
    const flaky = await tasks.submit({ type: 'flaky', args: { failures: 2 } });
    expect(await tasks.wait(flaky)).toMatchObject({ status: 'succeeded', attempts: 3, result: 'ok' });
    const boom = await tasks.submit({ type: 'boom', args: {} });
    expect(await tasks.wait(boom)).toMatchObject({ status: 'failed', attempts: 1, error: 'boom' });
    expect(tasks.stats().counters.retries).toBe(2);
  });

  it('gives up after SUPERNOVA_TASK_ATTEMPTS', async () => {
    const tasks = await started({ attempts: 2 });
    const flaky = await tasks.submit({ type: 'flaky', args: { failures: 5 } });
    expect(await tasks.wait(flaky)).toMatchObject({ status: 'failed', attempts: 2, error: 'failure 2' });
  });

  it('cancels queued and running tasks', async () => {
    const tasks = await started({ workersMin: 1, workersMax: 1 });
    const running = await tasks.submit({ type: 'hang', args: {} });
    const queued = await tasks.submit({ type: 'echo', args: { n: 1 } });
    await sleep(10);
    expect((await tasks.status(running)).status).toBe('running');
    expect((await tasks.cancel(queued)).status).toBe('cancelled');
    expect((await tasks.cancel(running)).status).toBe('cancelled');
    // The worker is free again at once.
    const after = await tasks.submit({ type: 'echo', args: { n: 2 } });
    expect(await tasks.wait(after)).toMatchObject({ status: 'succeeded', result: 2 });
    expect((await tasks.status(queued)).status).toBe('cancelled');
    expect((await tasks.cancel(after)).status).toBe('succeeded');
  });

  it('refuses past the queue bound with the limit named, and counts it', async () => {
    const tasks = await started({ workersMin: 1, workersMax: 1, queueMax: 10 });
    await tasks.submit({ type: 'hang', args: {}, timeoutMs: 100 });
    await sleep(5);
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => tasks.submit({ type: 'echo', args: { n: 1 } })));
    const refused = results.filter((r) => r.status === 'rejected');
    expect(results.length - refused.length).toBe(10);
    expect((refused[0] as PromiseRejectedResult).reason).toBeInstanceOf(TaskQueueFullError);
    expect(String((refused[0] as PromiseRejectedResult).reason.message)).toContain('SUPERNOVA_TASK_QUEUE_MAX');
    expect(tasks.stats().counters.rejected).toBe(40);
  });

  it('runs a batch at most K at once, with results in order', async () => {
    const tasks = await started({ workersMin: 4, workersMax: 4 });
    let inFlight = 0;
    let most = 0;
    tasks.registry.register('track', { schema: z.object({ i: z.number(), ms: z.number() }), run: async (a) => {
      most = Math.max(most, ++inFlight);
      await sleep(a.ms);
      inFlight--;
      if (a.i === 3) throw new Error('item 3 fails');
      return a.i * 10;
    } });
    const items = Array.from({ length: 10 }, (_, i) => ({ i, ms: 10 - i }));
    const id = await tasks.submitBatch({ type: 'track', items, concurrency: 2 });
    const done = await tasks.wait(id);
    expect(most).toBe(2);
    expect(done.status).toBe('succeeded');
    expect(done.items).toEqual({ done: 10, total: 10 });
    const outcomes = done.result as { status: string; result?: number; error?: string }[];
    expect(outcomes.map((o) => o.result ?? o.error)).toEqual([0, 10, 20, 'item 3 fails', 40, 50, 60, 70, 80, 90]);
    await expect(tasks.submitBatch({ type: 'track', items: [{ i: 1, ms: 1 }, { i: 'x' }] })).rejects.toThrow(/items\[1\]/);
    await expect(tasks.submitBatch({ type: 'track', items: [] })).rejects.toThrow(/non-empty/);
    await expect(tasks.submitBatch({ type: 'track', items: Array.from({ length: 101 }, () => ({ i: 1, ms: 1 })) })).rejects.toThrow(/SUPERNOVA_TASK_BATCH_MAX_ITEMS/);
  });

  it('cancels a batch: what runs and what has not started', async () => {
    const tasks = await started({ workersMin: 2, workersMax: 2 });
    const id = await tasks.submitBatch({ type: 'sleep', items: Array.from({ length: 6 }, () => ({ ms: 5_000 })), concurrency: 2 });
    await sleep(20);
    expect((await tasks.cancel(id)).status).toBe('cancelled');
    await sleep(10);
    expect(tasks.stats().running).toBe(0);
    expect(tasks.stats().queued).toEqual({ high: 0, normal: 0, low: 0 });
  });

  it('grows the pool under load up to the max, and shrinks it when idle', async () => {
    const tasks = await started({ workersMin: 2, workersMax: 8, scaleDownIdleMs: 100 });
    expect(tasks.stats().workers).toBe(2);
    const ids = await Promise.all(Array.from({ length: 40 }, () => tasks.submit({ type: 'sleep', args: { ms: 30 } })));
    let most = 0;
    const watch = setInterval(() => (most = Math.max(most, tasks.stats().workers)), 5);
    await Promise.all(ids.map((id) => tasks.wait(id)));
    clearInterval(watch);
    expect(most).toBe(8);
    const deadline = Date.now() + 3_000;
    while (tasks.stats().workers > 2 && Date.now() < deadline) await sleep(20);
    expect(tasks.stats().workers).toBe(2);
    expect(tasks.stats().counters.scaledDown).toBe(6);
  });

  it('runs CPU tasks in a worker thread, msgpack across, and replaces a timed-out thread', async () => {
    const tasks = await started({ workersMin: 2, workersMax: 2 }, true);
    const echo = await tasks.wait(await tasks.submit({ type: 'echo-cpu', args: { a: [1, 2, 3], b: 'x', c: new Date(5) } }));
    const out = echo.result as { input: unknown; threadId: number };
    expect(out.input).toEqual({ a: [1, 2, 3], b: 'x', c: new Date(5) });
    expect(out.threadId).not.toBe(threadId);
    const stuck = await tasks.submit({ type: 'spin', args: { ms: 10_000 }, timeoutMs: 100 });
    const t0 = Date.now();
    expect(await tasks.wait(stuck)).toMatchObject({ status: 'timed_out' });
    expect(Date.now() - t0).toBeLessThan(2_000);
    // The pool's thread was terminated: the next call runs on a fresh one.
    const again = await tasks.wait(await tasks.submit({ type: 'echo-cpu', args: 1 }));
    expect(again.status).toBe('succeeded');
    expect((again.result as { threadId: number }).threadId).not.toBe(out.threadId);
  });

  it('drops finished tasks after the TTL and past the bound', async () => {
    const tasks = await started({ resultTtlMs: 1_000, recordsMax: 100 });
    const first = await tasks.submit({ type: 'echo', args: { n: 0 } });
    await tasks.wait(first);
    const ids = await Promise.all(Array.from({ length: 150 }, (_, n) => tasks.submit({ type: 'echo', args: { n } })));
    await Promise.all(ids.map((id) => tasks.wait(id)));
    expect(tasks.stats().kept).toBe(100);
    await expect(tasks.status(first)).rejects.toBeInstanceOf(TaskNotFoundError);
    await sleep(1_200);
    await expect(tasks.status(ids[149] as string)).rejects.toBeInstanceOf(TaskNotFoundError);
  });

  it('reads a result back from the store once memory let it go', async () => {
    const store = new Map<string, { view: TaskView; expiresAt: number }>();
    const runtime = new ActorRuntime({ name: 'tasks-store' });
    runtime.start();
    const tasks = new MemoryTasks({
      runtime, registry: registry(), limits: { ...limits, recordsMax: 100 },
      results: { set: async (k, v) => void store.set(k, v), get: async (k) => store.get(k) },
    });
    await tasks.start();
    cleanups.push(async () => { await tasks.stop(); await runtime.stop(); });
    const first = await tasks.submit({ type: 'echo', args: { n: 42 } });
    await tasks.wait(first);
    await Promise.all(Array.from({ length: 120 }, (_, n) => tasks.submit({ type: 'echo', args: { n } }).then((id) => tasks.wait(id))));
    expect(tasks.stats().kept).toBe(100);
    expect(await tasks.status(first)).toMatchObject({ status: 'succeeded', result: 42 });
  });

  it('keeps the admission count exact through refusals, cancellations and runs', async () => {
    const tasks = await started({ workersMin: 1, workersMax: 1, queueMax: 10 });
    const hang = await tasks.submit({ type: 'hang', args: {} });
    await sleep(5);
    const ids: string[] = [];
    let refused = 0;
    for (let i = 0; i < 30; i++) {
      try {
        ids.push(tasks.submitNow({ type: 'echo', args: { n: i } }));
      } catch (err) {
        expect(err).toBeInstanceOf(TaskQueueFullError);
        refused++;
      }
    }
    expect([ids.length, refused]).toEqual([10, 20]);
    // Refused before the dispatcher has even taken the admitted ones.
    expect(tasks.testing.admittedQueued()).toBe(10);
    expect(tasks.stats().queued.normal).toBe(10);
    for (const id of ids.slice(0, 4)) expect((await tasks.cancel(id)).status).toBe('cancelled');
    expect(tasks.testing.admittedQueued()).toBe(0);
    expect(tasks.stats().queued.normal).toBe(6);
    const more = Array.from({ length: 4 }, (_, n) => tasks.submitNow({ type: 'echo', args: { n } }));
    expect(() => tasks.submitNow({ type: 'echo', args: { n: 0 } })).toThrow(TaskQueueFullError);
    await tasks.cancel(hang);
    for (const id of [...ids.slice(4), ...more]) expect((await tasks.wait(id)).status).toBe('succeeded');
    expect(tasks.stats().queued).toEqual({ high: 0, normal: 0, low: 0 });
    expect(tasks.testing.admittedQueued()).toBe(0);
  });

  describe('the dispatcher actor under faults', () => {
    it('a crash while taking an admission fails that task alone; the supervisor resets the dispatcher onto the same state', async () => {
      const { tasks, runtime } = await withRuntime({ workersMin: 1, workersMax: 1 }, false, true);
      const blocker = await tasks.submit({ type: 'sleep', args: { ms: 40 } });
      await sleep(5);
      // The handler throws when it takes the third of the next admissions.
      tasks.testing.crashOnInboxItem(2);
      const ids = Array.from({ length: 5 }, (_, n) => tasks.submitNow({ type: 'echo', args: { n } }));
      const views = await Promise.all(ids.map((id) => tasks.wait(id)));
      expect(views.map((v) => v.status)).toEqual(['succeeded', 'succeeded', 'failed', 'succeeded', 'succeeded']);
      expect(views[2]?.error).toBe(CRASHED);
      expect(views.map((v) => v.result)).toEqual([0, 1, undefined, 3, 4]);
      expect(await tasks.wait(blocker)).toMatchObject({ status: 'succeeded', result: 40 });
      expect(tasks.stats().counters.dispatcherRestarts).toBe(1);
      expect(runtime.stats()).toMatchObject({ crashes: 1, resets: 1, stopsByPolicy: 0 });
      expect(tasks.testing.admittedQueued()).toBe(0);
      expect(tasks.stats()).toMatchObject({ running: 0, workers: 1, queued: { high: 0, normal: 0, low: 0 } });
      expect(await tasks.wait(await tasks.submit({ type: 'echo', args: { n: 9 } }))).toMatchObject({ status: 'succeeded', result: 9 });
    });

    it('a crash while booking a worker outcome fails that task, frees its worker and loses none queued', async () => {
      const { tasks, runtime } = await withRuntime({ workersMin: 1, workersMax: 1 }, false, true);
      const first = await tasks.submit({ type: 'sleep', args: { ms: 30 } });
      await sleep(5);
      const queued = await Promise.all([1, 2, 3].map((n) => tasks.submit({ type: 'echo', args: { n } })));
      await sleep(5);
      // The next inbox item is the sleeping task's report, when it ends.
      tasks.testing.crashOnInboxItem(0);
      expect(await tasks.wait(first)).toMatchObject({ status: 'failed', error: CRASHED });
      for (const [i, id] of queued.entries()) expect(await tasks.wait(id)).toMatchObject({ status: 'succeeded', result: i + 1 });
      expect(runtime.stats()).toMatchObject({ resets: 1, stopsByPolicy: 0 });
      expect(tasks.stats()).toMatchObject({ running: 0, workers: 1 });
      expect(tasks.stats().counters).toMatchObject({ dispatcherRestarts: 1, failed: 1, succeeded: 3, workerRestarts: 0 });
    });

    it('a handler that throws on a message mid-run loses no queued or running task; cancel still answers', async () => {
      const { tasks, runtime } = await withRuntime({ workersMin: 1, workersMax: 1 }, false, true);
      const running = await tasks.submit({ type: 'sleep', args: { ms: 30 } });
      const queued = await Promise.all([1, 2].map((n) => tasks.submit({ type: 'echo', args: { n } })));
      const doomed = await tasks.submit({ type: 'hang', args: {} });
      tasks.testing.crash();
      tasks.testing.crash();
      expect((await tasks.cancel(doomed)).status).toBe('cancelled');
      expect(await tasks.wait(running)).toMatchObject({ status: 'succeeded', result: 30 });
      for (const id of queued) expect((await tasks.wait(id)).status).toBe('succeeded');
      expect(runtime.stats()).toMatchObject({ crashes: 2, resets: 2, stopsByPolicy: 0 });
      expect(tasks.stats().counters.dispatcherRestarts).toBe(2);
    });

    it('refuses fault injection without the faults option', async () => {
      const tasks = await started();
      expect(() => tasks.testing.crash()).toThrow(/faults option/);
    });

    it('a runtime stopped under it ends every task that is not final, saying why', async () => {
      const { tasks, runtime } = await withRuntime({ workersMin: 1, workersMax: 1 });
      const running = await tasks.submit({ type: 'hang', args: {} });
      const queued = await tasks.submit({ type: 'echo', args: { n: 1 } });
      await sleep(5);
      const waits = [tasks.wait(running), tasks.wait(queued)];
      await runtime.stop();
      for (const v of await Promise.all(waits)) expect(v).toMatchObject({ status: 'failed', error: 'the task dispatcher stopped' });
      await expect(tasks.submit({ type: 'echo', args: { n: 1 } })).rejects.toThrow(/not running/);
    });
  });
});
