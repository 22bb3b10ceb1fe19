import { afterEach, describe, expect, it, vi } from 'vitest';
import { ActorRuntime, ask, MailboxFullError, type ActorRef } from './index.js';
import { gate, sleep, turns } from './test-support.js';

const runtimes: ActorRuntime[] = [];
function startRuntime(): ActorRuntime {
  const rt = new ActorRuntime({ name: 'mailbox' });
  rt.start();
  runtimes.push(rt);
  return rt;
}

afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((rt) => rt.stop()));
});

describe('bounded mailbox', () => {
  it('refuses tells at mailboxLimit (queued + in flight) and accepts again once drained', async () => {
    const rt = startRuntime();
    const g = gate();
    const seen: number[] = [];
    const ref = rt.root.spawn<undefined, number>({
      initialState: () => undefined,
      mailboxLimit: 3,
      handle: async (s, m) => {
        await g.promise;
        seen.push(m);
        return s;
      },
    });
    expect([ref.tell(1), ref.tell(2), ref.tell(3)]).toEqual([true, true, true]);
    expect(ref.tell(4)).toBe(false); // not enqueued
    await turns(); // message 1 is now in flight, 2 and 3 queued
    expect(ref.depth).toBe(3);
    expect(ref.tell(5)).toBe(false);
    expect(rt.stats()).toMatchObject({ mailboxDepth: 3, mailboxRejections: 2 });
    await expect(ask(ref, () => 6, 1_000)).rejects.toBeInstanceOf(MailboxFullError);

    g.open();
    await vi.waitFor(() => expect(ref.depth).toBe(0), { timeout: 1_000, interval: 2 });
    expect(seen).toEqual([1, 2, 3]);
    expect(rt.stats().mailboxDepth).toBe(0);
    expect(ref.tell(7)).toBe(true);
    await vi.waitFor(() => expect(seen).toEqual([1, 2, 3, 7]), { timeout: 1_000, interval: 2 });
  });

  it('processes strictly one message at a time, in order, and the returned state is the next state', async () => {
    const rt = startRuntime();
    let inFlight = 0;
    let maxInFlight = 0;
    const ref = rt.root.spawn<number[], number | { reply: (s: number[]) => void }>({
      initialState: () => [],
      handle: async (state, m) => {
        if (typeof m !== 'number') {
          m.reply(state);
          return state;
        }
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleep(m % 2 === 0 ? 3 : 0); // later messages finish faster if run concurrently
        inFlight -= 1;
        return [...state, m];
      },
    });
    for (let i = 0; i < 10; i++) ref.tell(i);
    const state = await ask(ref, (reply: (s: number[]) => void) => ({ reply }), 2_000);
    expect(state).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(maxInFlight).toBe(1);
  });

  it('sums depth over actors in stats and drops it when an actor stops with a full queue', async () => {
    const rt = startRuntime();
    const g = gate();
    const refs: ActorRef<number>[] = [1, 2].map(() =>
      rt.root.spawn<undefined, number>({ initialState: () => undefined, handle: async (s) => (await g.promise, s) }),
    );
    for (const ref of refs) for (let i = 0; i < 4; i++) ref.tell(i);
    expect(rt.stats()).toMatchObject({ actors: 2, mailboxDepth: 8 });
    refs[0]!.stop();
    expect(rt.stats()).toMatchObject({ actors: 1, mailboxDepth: 4 });
    g.open();
    await vi.waitFor(() => expect(rt.stats().mailboxDepth).toBe(0), { timeout: 1_000, interval: 2 });
  });

  it('rejects bad limits at spawn time', () => {
    const rt = startRuntime();
    const base = { initialState: () => 0, handle: (s: number) => s };
    expect(() => rt.root.spawn({ ...base, mailboxLimit: 0 })).toThrow(RangeError);
    expect(() => rt.root.spawn({ ...base, handlerTimeoutMs: -1 })).toThrow(RangeError);
    expect(() => rt.root.spawn({ ...base, maxCrashes: 1.5 })).toThrow(RangeError);
    expect(rt.stats().actors).toBe(0);
  });
});
