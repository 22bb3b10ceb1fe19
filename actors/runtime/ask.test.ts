import { afterEach, describe, expect, it } from 'vitest';
import { ActorRuntime, ActorStoppedError, ask, AskTimeoutError, type ActorRef } from './index.js';
import { sleep } from './test-support.js';

type Req = { n: number; reply: (n: number) => void };

const runtimes: ActorRuntime[] = [];
function startRuntime(): ActorRuntime {
  const rt = new ActorRuntime({ name: 'ask' });
  rt.start();
  runtimes.push(rt);
  return rt;
}

afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((rt) => rt.stop()));
});

function doubler(rt: ActorRuntime, replies = 1): ActorRef<Req> {
  return rt.root.spawn<undefined, Req>({
    initialState: () => undefined,
    handle: (s, m) => {
      for (let i = 0; i < replies; i++) m.reply(m.n * 2 + i);
      return s;
    },
  });
}

describe('ask', () => {
  it('resolves with the first reply and ignores duplicates', async () => {
    const rt = startRuntime();
    const ref = doubler(rt, 3);
    await expect(ask(ref, (reply: (n: number) => void) => ({ n: 21, reply }), 1_000)).resolves.toBe(42);
    expect(rt.stats().pendingAsks).toBe(0);
  });

  it('times out with AskTimeoutError and drops a late reply', async () => {
    const rt = startRuntime();
    let replyLater: (n: number) => void = () => undefined;
    const ref = rt.root.spawn<undefined, Req>({
      initialState: () => undefined,
      handle: (s, m) => ((replyLater = m.reply), s),
    });
    const pending = ask(ref, (reply: (n: number) => void) => ({ n: 1, reply }), 20);
    expect(rt.stats().pendingAsks).toBe(1);
    await expect(pending).rejects.toMatchObject({ code: 'ASK_TIMEOUT', actor: ref.name, timeoutMs: 20 });
    await expect(pending).rejects.toBeInstanceOf(AskTimeoutError);
    replyLater(5); // no effect, no throw
    expect(rt.stats().pendingAsks).toBe(0);
  });

  it('rejects at once for a stopped actor, a throwing factory or a bad timeout', async () => {
    const rt = startRuntime();
    const ref = doubler(rt);
    await expect(
      ask(ref, () => {
        throw new Error('cannot build');
      }, 1_000),
    ).rejects.toThrow('cannot build');
    await expect(ask(ref, (reply: (n: number) => void) => ({ n: 1, reply }), 0)).rejects.toBeInstanceOf(RangeError);
    ref.stop();
    await expect(ask(ref, (reply: (n: number) => void) => ({ n: 1, reply }), 1_000)).rejects.toMatchObject({
      code: 'ACTOR_STOPPED',
    });
    expect(rt.stats().pendingAsks).toBe(0);
  });

  it('is rejected with ActorStoppedError when the runtime stops while waiting', async () => {
    const rt = startRuntime();
    const ref = rt.root.spawn<undefined, Req>({ initialState: () => undefined, handle: (s) => s }); // never replies
    const pending = ask(ref, (reply: (n: number) => void) => ({ n: 1, reply }), 60_000);
    const outcome = expect(pending).rejects.toBeInstanceOf(ActorStoppedError); // observe before it rejects
    await rt.stop();
    await outcome;
    expect(rt.stats().pendingAsks).toBe(0);
  });

  it('works with any ActorRef implementation', async () => {
    const fake: ActorRef<Req> = {
      name: 'fake',
      depth: 0,
      stopped: false,
      tell: (m) => (setImmediate(() => m.reply(m.n + 1)), true),
      stop: () => undefined,
    };
    await expect(ask(fake, (reply: (n: number) => void) => ({ n: 1, reply }), 1_000)).resolves.toBe(2);
    await sleep(0);
  });
});
