import { afterEach, describe, expect, it, vi } from 'vitest';
import { ActorRuntime, ask, HandlerTimeoutError, type CrashDecision, type SpawnOptions } from './index.js';
import { sleep } from './test-support.js';

type Msg = { kind: 'ok' } | { kind: 'throw' } | { kind: 'reject' } | { kind: 'hang' } | { kind: 'get'; reply: (n: number) => void };

const runtimes: ActorRuntime[] = [];
function startRuntime(opts: ConstructorParameters<typeof ActorRuntime>[0] = {}): ActorRuntime {
  const rt = new ActorRuntime({ name: 'crash', ...opts });
  rt.start();
  runtimes.push(rt);
  return rt;
}

afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((rt) => rt.stop()));
});

/** Counts 'ok' messages; fails on demand in every way a handler can. */
function counter(overrides: Partial<SpawnOptions<number, Msg>> = {}): SpawnOptions<number, Msg> {
  return {
    initialState: () => 0,
    handlerTimeoutMs: 20,
    handle: (n, m) => {
      switch (m.kind) {
        case 'ok':
          return n + 1;
        case 'throw':
          throw new Error('sync boom');
        case 'reject':
          return Promise.reject(new Error('async boom'));
        case 'hang':
          return new Promise<number>(() => undefined);
        case 'get':
          m.reply(n);
          return n;
      }
    },
    ...overrides,
  };
}

const get = (reply: (n: number) => void): Msg => ({ kind: 'get', reply });

describe('crash policy', () => {
  it('passes every kind of crash to onCrash and applies resume / reset / stop', async () => {
    const rt = startRuntime();
    const decisions: CrashDecision[] = ['resume', 'reset', 'resume'];
    const errors: unknown[] = [];
    const ref = rt.root.spawn(
      counter({ onCrash: (error, _msg, ctx) => (errors.push([error, ctx.name]), decisions.shift() ?? 'stop') }),
    );
    ref.tell({ kind: 'ok' });
    ref.tell({ kind: 'throw' }); // resume: keeps 1
    ref.tell({ kind: 'ok' });
    expect(await ask(ref, get, 1_000)).toBe(2);
    ref.tell({ kind: 'reject' }); // reset: back to 0
    ref.tell({ kind: 'ok' });
    expect(await ask(ref, get, 1_000)).toBe(1);
    ref.tell({ kind: 'hang' }); // resume after HandlerTimeoutError
    ref.tell({ kind: 'ok' });
    expect(await ask(ref, get, 1_000)).toBe(2);
    ref.tell({ kind: 'throw' }); // stop
    await vi.waitFor(() => expect(ref.stopped).toBe(true), { timeout: 1_000, interval: 2 });

    expect(errors.map((e) => (e as [Error, string])[0].message)).toEqual([
      'sync boom',
      'async boom',
      'handler of ' + ref.name + ' did not settle within 20 ms',
      'sync boom',
    ]);
    expect((errors[2] as [unknown])[0]).toBeInstanceOf(HandlerTimeoutError);
    expect((errors[0] as [unknown, string])[1]).toBe(ref.name);
    expect(rt.stats()).toMatchObject({ crashes: 4, resets: 1, stopsByPolicy: 1, actors: 0, mailboxDepth: 0 });
  });

  it('default policy resumes, then stops at maxCrashes within crashWindowMs (injected clock)', async () => {
    let now = 0;
    const rt = startRuntime({ now: () => now });
    const stops: number[] = [];
    const ref = rt.root.spawn(counter({ maxCrashes: 3, crashWindowMs: 1_000, onStop: (n) => void stops.push(n) }));
    ref.tell({ kind: 'ok' });
    ref.tell({ kind: 'throw' }); // t=0
    ref.tell({ kind: 'throw' }); // t=0
    expect(await ask(ref, get, 1_000)).toBe(1); // two crashes: resumed, state kept
    now = 1_500; // the first two crashes leave the window
    ref.tell({ kind: 'throw' });
    ref.tell({ kind: 'throw' });
    expect(await ask(ref, get, 1_000)).toBe(1);
    expect(ref.stopped).toBe(false);
    ref.tell({ kind: 'throw' }); // third crash within 1 s of the previous two: stop
    ref.tell({ kind: 'ok' });
    await vi.waitFor(() => expect(ref.stopped).toBe(true), { timeout: 1_000, interval: 2 });
    expect(stops).toEqual([1]);
    expect(rt.stats()).toMatchObject({ crashes: 5, stopsByPolicy: 1, resets: 0 });
  });

  it('never lets a handler error escape: throwing policy, throwing onStop, throwing logger, late rejection after timeout', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const warnings: string[] = [];
      const rt = startRuntime({
        logger: {
          warn: (_obj, msg) => {
            warnings.push(msg);
            throw new Error('logger down');
          },
        },
      });
      let rejectLate: (e: Error) => void = () => undefined;
      const late = rt.root.spawn<number, string>({
        initialState: () => 0,
        handlerTimeoutMs: 10,
        handle: (n, m) => (m === 'late' ? new Promise<number>((_, reject) => (rejectLate = reject)) : n + 1),
        onCrash: () => 'resume',
      });
      late.tell('late');
      late.tell('ok');
      await vi.waitFor(() => expect(late.depth).toBe(0), { timeout: 1_000, interval: 2 });
      rejectLate(new Error('too late')); // settles after its timeout: must be swallowed

      const badPolicy = rt.root.spawn(
        counter({
          onCrash: () => {
            throw new Error('policy down');
          },
          onStop: () => {
            throw new Error('onStop down');
          },
        }),
      );
      badPolicy.tell({ kind: 'reject' });
      await vi.waitFor(() => expect(badPolicy.stopped).toBe(true), { timeout: 1_000, interval: 2 });

      const badReset = rt.root.spawn<number, Msg>(
        counter({
          initialState: (() => {
            let calls = 0;
            return () => {
              calls += 1;
              if (calls > 1) throw new Error('cannot reset');
              return 0;
            };
          })(),
          onCrash: () => 'reset',
        }),
      );
      badReset.tell({ kind: 'throw' });
      await vi.waitFor(() => expect(badReset.stopped).toBe(true), { timeout: 1_000, interval: 2 });

      await sleep(20);
      expect(unhandled).toEqual([]);
      expect(warnings).toContain('actor onCrash threw; stopping actor');
      expect(warnings).toContain('actor onStop threw');
      expect(warnings).toContain('actor initialState threw on reset; stopping actor');
      expect(rt.stats()).toMatchObject({ crashes: 3, stopsByPolicy: 2, resets: 0 });
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it.each([
    ['before its first await', false],
    ['after an await (handler still in flight)', true],
  ])('a handler that stops its own actor %s gets onStop once and is not counted as a crash', async (_label, afterAwait) => {
    const rt = startRuntime();
    const stops: number[] = [];
    const ref = rt.root.spawn<number, string>({
      initialState: () => 41,
      handle: async (n, m, ctx) => {
        if (afterAwait) await sleep(1);
        if (m === 'quit') ctx.self.stop();
        return n + 1;
      },
      onStop: (n) => void stops.push(n),
    });
    ref.tell('quit');
    ref.tell('never');
    await vi.waitFor(() => expect(ref.stopped).toBe(true), { timeout: 1_000, interval: 2 });
    await sleep(5);
    ref.stop();
    expect(stops).toEqual([41]); // state as of the last completed message
    expect(rt.stats()).toMatchObject({ crashes: 0, actors: 0, mailboxDepth: 0 });
  });

  it('spawn throws when initialState throws, leaving nothing behind', () => {
    const rt = startRuntime();
    expect(() =>
      rt.root.spawn({
        initialState: () => {
          throw new Error('no state');
        },
        handle: (s: number) => s,
      }),
    ).toThrow('no state');
    expect(rt.stats()).toMatchObject({ actors: 0, shards: 0 });
    expect(rt.root.size).toBe(0);
  });
});
