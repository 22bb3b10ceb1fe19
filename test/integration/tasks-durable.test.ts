import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, type TestEngine } from '../support/engine.js';
import { REDIS_URL, redisReachable } from '../support/redis.js';
import { cleanPrefix, testPrefix } from '../support/redis-broker.js';
import { SignJWT } from 'jose';
import { connected, sdkClient, subscribed, until } from '../support/client.js';
import { RedisServer, redisServerInstalled } from '../support/redis-server.js';
import { onceTask, testTaskTypes } from '../fixtures/task-types.js';
import { taskType } from '../../src/index.js';
import type { TaskView } from '../../src/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const reachable = await redisReachable();

describe.runIf(reachable)('durable tasks (BullMQ on Redis)', () => {
  const prefix = testPrefix('tasks');
  const engines: TestEngine[] = [];
  const redis = new Redis(REDIS_URL);
  const start = async (over: Record<string, unknown> = {}) => {
    // Registered before start: a job may reach an engine the moment its worker runs.
    const t = await startEngine({ redisUrl: REDIS_URL, redisPrefix: prefix, taskQueue: 'redis', broker: 'memory', taskLockMs: 1_000, taskWorkersMin: 2, taskWorkersMax: 2, taskQueueMax: 30, taskAgingMs: 60_000, taskRetryBaseMs: 10, apiKey: 'k', ...over }, undefined, testTaskTypes({
      'test.once': taskType(onceTask(redis, prefix)),
      'test.own': taskType({ schema: z.object({ a: z.number(), b: z.number() }), ownQueue: true, run: (x: { a: number; b: number }) => x.a + x.b }),
      // Attempts counted in Redis: a retry may run on either engine.
      'test.flaky': taskType({ schema: z.object({ fail: z.number(), key: z.string() }), retryable: true, run: async (a: { fail: number; key: string }) => {
        const n = await redis.incr(`${prefix}:flaky:${a.key}`);
        if (n <= a.fail) throw new Error(`failure ${n}`);
        return 'ok';
      } }),
    }));
    engines.push(t);
    return t;
  };
  let a: TestEngine;
  let b: TestEngine;
  beforeAll(async () => {
    a = await start();
    b = await start();
  });
  afterAll(async () => {
    for (const t of engines) await t.stop();
    await cleanPrefix(prefix);
    await cleanPrefix(`{${prefix}`);
    redis.disconnect();
  });

  it('submits on one engine and answers on the other', async () => {
    const id = await a.engine.tasks.submit({ type: 'test.sum', args: { a: 4, b: 5 } });
    expect(a.engine.tasks.stats().mode).toBe('redis');
    expect(await b.engine.tasks.wait(id)).toMatchObject({ id, type: 'test.sum', status: 'succeeded', result: 9, progress: 1 });
    const res = await fetch(`${b.http}/api/v1/tasks/${id}`, { headers: { authorization: 'apikey k' } });
    expect(await res.json()).toMatchObject({ status: 'succeeded', result: 9 });
  });

  it('a type with a queue of its own: its ids name the queue, and any engine answers for it', async () => {
    const id = await a.engine.tasks.submit({ type: 'test.own', args: { a: 20, b: 22 } });
    expect(id).toMatch(/^test\.own~[0-9a-f-]{36}$/);
    expect(await b.engine.tasks.wait(id)).toMatchObject({ id, type: 'test.own', status: 'succeeded', result: 42 });
    const res = await fetch(`${b.http}/api/v1/tasks/${id}`, { headers: { authorization: 'apikey k' } });
    expect(await res.json()).toMatchObject({ status: 'succeeded', result: 42 });
    // Its jobs are on its queue, not the shared one.
    expect(await redis.exists(`${prefix}:tasks:type.test.own:${id}`)).toBe(1);
    expect(await redis.exists(`${prefix}:tasks:q:${id}`)).toBe(0);
    // An id naming a type no engine knows is not found, nor one whose type part is no type's name.
    await expect(a.engine.tasks.status(`no.such.type~${randomUUID()}`)).rejects.toMatchObject({ code: 108 });
    for (const bad of [`Upper~${randomUUID()}`, `~${randomUUID()}`, `a~b~${randomUUID()}`, `${'t'.repeat(65)}~x`]) {
      await expect(a.engine.tasks.status(bad)).rejects.toMatchObject({ code: 108 });
    }
  });

  it('times out, retries a retryable type, and refuses bad submissions', async () => {
    const slow = await a.engine.tasks.submit({ type: 'test.sleep', args: { ms: 5_000 }, timeoutMs: 50 });
    expect(await a.engine.tasks.wait(slow)).toMatchObject({ status: 'timed_out', error: 'timed out after 50 ms' });
    const flaky = await a.engine.tasks.submit({ type: 'test.flaky', args: { fail: 1, key: 'a' } });
    const done = await a.engine.tasks.wait(flaky);
    expect(done.status).toBe('succeeded');
    expect(done.attempts).toBe(2);
    await expect(a.engine.tasks.submit({ type: 'nope', args: {} })).rejects.toMatchObject({ code: 107 });
    await expect(a.engine.tasks.submit({ type: 'test.sum', args: { a: 'x' } })).rejects.toMatchObject({ code: 107 });
    await expect(a.engine.tasks.status('missing')).rejects.toMatchObject({ code: 108 });
  });

  it('cancels a queued task and a task running on the other engine', async () => {
    const running = await Promise.all([1, 2, 3, 4].map(() => a.engine.tasks.submit({ type: 'test.sleep', args: { ms: 30_000 } })));
    await until(() => a.engine.tasks.stats().running + b.engine.tasks.stats().running === 4, 'four running', 10_000);
    const queued = await a.engine.tasks.submit({ type: 'test.sum', args: { a: 1, b: 1 } });
    expect((await a.engine.tasks.status(queued)).status).toBe('queued');
    expect((await b.engine.tasks.cancel(queued)).status).toBe('cancelled');
    for (const id of running) expect((await a.engine.tasks.cancel(id)).status).toBe('cancelled');
    await until(() => a.engine.tasks.stats().running + b.engine.tasks.stats().running === 0, 'workers freed', 5_000);
    expect((await a.engine.tasks.status(running[0] as string)).status).toBe('cancelled');
  });

  it('runs high priority first, refuses past the shared bound with 106, and runs a batch in order', async () => {
    const blockers = await Promise.all([1, 2, 3, 4].map(() => a.engine.tasks.submit({ type: 'test.sleep', args: { ms: 30_000 } })));
    await until(() => a.engine.tasks.stats().running + b.engine.tasks.stats().running === 4, 'four running', 10_000);
    const low = await Promise.all([1, 2, 3].map(() => a.engine.tasks.submit({ type: 'test.sum', args: { a: 0, b: 0 }, priority: 'low' })));
    const high = await a.engine.tasks.submit({ type: 'test.sum', args: { a: 0, b: 0 }, priority: 'high' });
    const fill = await Promise.allSettled(Array.from({ length: 40 }, () => a.engine.tasks.submit({ type: 'test.sum', args: { a: 1, b: 1 }, priority: 'normal' })));
    const refused = fill.filter((r) => r.status === 'rejected');
    expect(refused.length).toBe(40 - 26);
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({ code: 106 });
    for (const id of blockers) await a.engine.tasks.cancel(id);
    const views: TaskView[] = await Promise.all([high, ...low].map((id) => b.engine.tasks.wait(id)));
    const [h, ...l] = views;
    for (const v of l) expect((v.startedAt as number)).toBeGreaterThanOrEqual(h?.startedAt as number);
    const batch = await b.engine.tasks.submitBatch({ type: 'test.sum', items: [{ a: 1, b: 2 }, { a: 3, b: 4 }, { a: 'bad', b: 0 }].slice(0, 2), concurrency: 2 });
    const done = await a.engine.tasks.wait(batch);
    expect(done.status).toBe('succeeded');
    expect((done.result as { result: number }[]).map((x) => x.result)).toEqual([3, 7]);
  });

  it('a task whose engine is SIGKILLed mid-run completes exactly once on another engine', { timeout: 60_000 }, async () => {
    // Only the child takes work meanwhile.
    for (const t of engines.splice(0)) await t.stop();
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/task-engine.ts'], {
      cwd: root, env: { ...process.env, TASK_TEST_REDIS_URL: REDIS_URL, TASK_TEST_PREFIX: prefix }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        child.stdout?.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /\{"port":(\d+)\}/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        child.once('exit', (code) => reject(new Error(`child engine exited (${code}): ${out}`)));
      });
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/tasks`, { method: 'POST', headers: { authorization: 'apikey k', 'content-type': 'application/json' }, body: JSON.stringify({ type: 'test.once', args: { ms: 2_000 } }) });
      expect(res.status).toBe(202);
      const { id } = (await res.json()) as { id: string };
      const deadline = Date.now() + 10_000;
      while (Number(await redis.get(`${prefix}:once:started`)) < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(Number(await redis.get(`${prefix}:once:started`))).toBe(1);
      child.kill('SIGKILL');
      await exited;
      // The engine that takes over: the killed one's lock lapses after SUPERNOVA_TASK_LOCK_MS (1 s).
      const heir = await start();
      expect((await heir.engine.tasks.status(id)).status).toBe('running');
      const view = await heir.engine.tasks.wait(id);
      expect(view).toMatchObject({ status: 'succeeded', result: { engine: process.pid } });
      expect(Number(await redis.get(`${prefix}:once:completed`))).toBe(1);
      expect(Number(await redis.get(`${prefix}:once:started`))).toBe(2);
      await new Promise((r) => setTimeout(r, 1_500));
      expect(Number(await redis.get(`${prefix}:once:completed`))).toBe(1);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});


describe.runIf(redisServerInstalled())('durable tasks while Redis is away', () => {
  it('answers 503 / 108 within a bound while Redis is down, and runs what was queued once it is back', { timeout: 60_000 }, async () => {
    const server = await RedisServer.start({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    const t = await startEngine({ redisUrl: server.url, redisPrefix: 'taskfault', taskQueue: 'redis', broker: 'memory', taskWorkersMin: 1, taskWorkersMax: 1, apiKey: 'k' }, undefined, testTaskTypes());
    const post = (body: unknown) => fetch(`${t.http}/api/v1/tasks`, { method: 'POST', headers: { authorization: 'apikey k', 'content-type': 'application/json' }, body: JSON.stringify(body) });
    try {
      const blocker = (await (await post({ type: 'test.sleep', args: { ms: 1_500 } })).json()) as { id: string };
      const queued = (await (await post({ type: 'test.sum', args: { a: 1, b: 2 } })).json()) as { id: string };
      await server.kill();
      const t0 = Date.now();
      const res = await post({ type: 'test.sum', args: { a: 1, b: 1 } });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: { code: 108 } });
      expect(Date.now() - t0).toBeLessThan(8_000);
      expect((await fetch(`${t.http}/performance/health/live`)).status).toBe(200);
      await server.restart();
      const done = await t.engine.tasks.wait(queued.id);
      expect(done).toMatchObject({ status: 'succeeded', result: 3 });
      expect(['succeeded', 'running', 'queued']).toContain((await t.engine.tasks.status(blocker.id)).status);
    } finally {
      await t.stop();
      await server.stop();
    }
  });
});

describe.runIf(reachable)('durable tasks: aging', () => {
  it('promotes a low task that waited past the aging step ahead of a newer high one', { timeout: 30_000 }, async () => {
    const prefix = testPrefix('tasks-aging');
    const t = await startEngine({ redisUrl: REDIS_URL, redisPrefix: prefix, taskQueue: 'redis', broker: 'memory', taskWorkersMin: 1, taskWorkersMax: 1, taskAgingMs: 200 }, undefined, testTaskTypes());
    try {
      const blocker = await t.engine.tasks.submit({ type: 'test.sleep', args: { ms: 30_000 } });
      await until(() => t.engine.tasks.stats().running === 1, 'the worker busy', 10_000);
      const low = await t.engine.tasks.submit({ type: 'test.sum', args: { a: 0, b: 0 }, priority: 'low' });
      await new Promise((r) => setTimeout(r, 1_000));
      const high = await t.engine.tasks.submit({ type: 'test.sum', args: { a: 0, b: 0 }, priority: 'high' });
      await t.engine.tasks.cancel(blocker);
      const [l, h] = await Promise.all([t.engine.tasks.wait(low), t.engine.tasks.wait(high)]);
      expect(l?.status).toBe('succeeded');
      expect(l?.startedAt as number).toBeLessThan(h?.startedAt as number);
    } finally {
      await t.stop();
      await cleanPrefix(prefix);
    }
  });
});

describe.runIf(reachable)('durable tasks: RPC and the user#ID push across engines', () => {
  it('a user on one engine gets the completion of a task another engine ran', { timeout: 30_000 }, async () => {
    const prefix = testPrefix('tasks-rpc');
    const secret = 'durable-task-secret-long-enough-for-hs256';
    const over = { redisUrl: REDIS_URL, redisPrefix: prefix, taskQueue: 'redis' as const, tokenHmacSecret: secret };
    // The user's engine runs no task (its one worker is held by a blocker): the other engine runs it.
    const front = await startEngine({ ...over, taskWorkersMin: 1, taskWorkersMax: 1 }, undefined, testTaskTypes());
    const blocker = await front.engine.tasks.submit({ type: 'test.sleep', args: { ms: 30_000 } });
    await until(() => front.engine.tasks.stats().running === 1, 'the front engine busy', 10_000);
    const back = await startEngine({ ...over, taskWorkersMin: 1, taskWorkersMax: 1 }, undefined, testTaskTypes());
    const c = sdkClient(front.url, { token: await new SignJWT({ sub: '42' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(Math.floor(Date.now() / 1000) + 600).sign(new TextEncoder().encode(secret)) });
    try {
      await connected(c);
      const pushes: unknown[] = [];
      (await subscribed(c, 'user#42')).on('publication', (ctx) => pushes.push(ctx.data));
      const { data } = await c.rpc('tasks.submit', { type: 'test.sum', args: { a: 1, b: 2 } });
      const id = (data as { id: string }).id;
      await until(() => pushes.length === 1, 'the completion push', 10_000);
      expect(pushes[0]).toEqual({ task: { id, type: 'test.sum', status: 'succeeded', result: 3 } });
      expect((await c.rpc('tasks.status', { id })).data).toMatchObject({ status: 'succeeded', user: '42' });
      expect(back.engine.tasks.stats().counters.succeeded).toBe(1);
      expect(front.engine.tasks.stats().counters.succeeded).toBe(0);
      await front.engine.tasks.cancel(blocker);
    } finally {
      c.disconnect();
      await front.stop();
      await back.stop();
      await cleanPrefix(prefix);
    }
  });
});
