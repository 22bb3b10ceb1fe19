/**
 * Each block first pins down a confirmed nact 7.6.2 defect on raw nact (these
 * assertions fail if nact ever changes, which is the cue to revisit the
 * workaround), then shows the wrapper does not have it.
 */
import nact from 'nact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ActorRuntime, ask, HandlerTimeoutError, type ActorRef } from './index.js';
import { countdown, sleep, turns } from './test-support.js';

const runtimes: ActorRuntime[] = [];
function startRuntime(): ActorRuntime {
  const rt = new ActorRuntime({ name: 'defects' });
  rt.start();
  runtimes.push(rt);
  return rt;
}

afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(runtimes.splice(0).map((rt) => rt.stop()));
});

describe('defect 1: stopping a parent does not stop its children', () => {
  it('raw nact: a stopped parent leaves its child running, unreachable and never stopped', async () => {
    const system = nact.start();
    const parent = nact.spawn(system, (s: undefined) => s, 'parent');
    const seen: string[] = [];
    let afterStops = 0;
    const child = nact.spawn(parent, (s: undefined, m: string) => (seen.push(m), s), 'child', {
      afterStop: () => void (afterStops += 1),
    });
    nact.dispatch(child, 'm1');
    nact.dispatch(child, 'm2');
    nact.dispatch(child, 'm3');
    nact.stop(parent);
    await turns();
    // Had the child been stopped, its pending immediate would have been cleared and nothing processed.
    expect(seen).toEqual(['m1', 'm2', 'm3']);
    expect(afterStops).toBe(0);
    // And it can no longer be reached through nact to stop it: a zombie.
    nact.dispatch(child, 'm4');
    nact.stop(child);
    await turns();
    expect(seen).toEqual(['m1', 'm2', 'm3']);
    expect(afterStops).toBe(0);

    // Control: stopping the same kind of actor directly does drop its queue and run afterStop.
    const direct: string[] = [];
    let directStops = 0;
    const other = nact.spawn(system, (s: undefined, m: string) => (direct.push(m), s), 'other', {
      afterStop: () => void (directStops += 1),
    });
    nact.dispatch(other, 'x');
    nact.stop(other);
    await turns();
    expect(direct).toEqual([]);
    expect(directStops).toBe(1);

    // The system has the same bug for its top-level actors.
    const topSeen: string[] = [];
    let topStops = 0;
    const top = nact.spawn(system, (s: undefined, m: string) => (topSeen.push(m), s), 'top', {
      afterStop: () => void (topStops += 1),
    });
    nact.dispatch(top, 'y');
    nact.stop(system);
    await turns();
    expect(topSeen).toEqual(['y']);
    expect(topStops).toBe(0);
  });

  it('wrapper: stopping a supervisor stops every descendant (nested too), drops their queues, runs onStop once each', async () => {
    const rt = startRuntime();
    const sup = rt.supervisor('parent', { maxChildrenPerShard: 2 });
    const nested = sup.supervisor('nested', { maxChildrenPerShard: 2 });
    expect(await rt.root.shardCensus()).toEqual([1]); // nact: root's shard holds `sup`
    const seen: string[] = [];
    const stops: string[] = [];
    const refs: ActorRef<string>[] = [];
    for (const owner of [sup, sup, sup, sup, sup, nested, nested, nested]) {
      const ref = owner.spawn<number, string>({
        name: 'leaf',
        initialState: () => 0,
        handle: (s, m) => (seen.push(m), s + 1),
        onStop: () => void stops.push(ref.name),
      });
      refs.push(ref);
      expect(ref.tell('a')).toBe(true);
      expect(ref.tell('b')).toBe(true);
    }
    expect(rt.stats()).toMatchObject({ actors: 8, mailboxDepth: 16 });
    expect(sup.size).toBe(6); // 5 actors + the nested supervisor

    sup.stop();
    await turns();

    expect(seen).toEqual([]);
    expect([...stops].sort()).toEqual(refs.map((r) => r.name).sort());
    expect(refs.every((r) => r.stopped && !r.tell('late') && r.depth === 0)).toBe(true);
    expect(nested.stopped).toBe(true);
    expect(() => sup.spawn({ initialState: () => 0, handle: (s) => s })).toThrow(/stopped/);
    expect(rt.stats()).toMatchObject({ actors: 0, mailboxDepth: 0, shards: 0 });
    expect(rt.root.size).toBe(0);
    expect(await rt.root.shardCensus()).toEqual([]); // the emptied root shard is gone from nact too
    sup.stop(); // idempotent
    expect(stops).toHaveLength(8);
  });

  it('wrapper: runtime.stop() stops top-level actors too', async () => {
    const rt = startRuntime();
    const stops: number[] = [];
    const refs = [1, 2, 3].map((id) =>
      rt.root.spawn<number, string>({ initialState: () => id, handle: (s) => s, onStop: (s) => void stops.push(s) }),
    );
    refs.forEach((r) => r.tell('queued'));
    await rt.stop();
    expect(stops.sort()).toEqual([1, 2, 3]);
    expect(refs.every((r) => r.stopped)).toBe(true);
  });
});

describe('defect 2: random 32-bit actor names and query ids collide', () => {
  it('raw nact: two different random draws give the same anonymous name, so the second spawn throws', () => {
    const system = nact.start();
    const r1 = 0.1;
    const r2 = r1 + 2 ** 32 / Number.MAX_SAFE_INTEGER; // differs only above bit 32, which `| 0` discards
    expect(r2).not.toBe(r1);
    vi.spyOn(Math, 'random').mockReturnValueOnce(r1).mockReturnValueOnce(r2);
    nact.spawn(system, (s: undefined) => s);
    expect(() => nact.spawn(system, (s: undefined) => s)).toThrow(/already exists/);
    nact.stop(system);
  });

  it('raw nact: colliding query temp ids deliver one query\'s reply to the other and time the first out', async () => {
    const system = nact.start();
    type Req = { id: string; replyTo: nact.Ref<string> };
    const echo = nact.spawn(system, (s: undefined, m: Req) => (nact.dispatch(m.replyTo, m.id), s), 'echo');
    vi.spyOn(Math, 'random').mockReturnValue(0.42); // any equal pair of draws; 32-bit ids make it a birthday problem
    const qa = nact.query(echo, (replyTo: nact.Ref<string>) => ({ id: 'a', replyTo }), 100);
    const qb = nact.query(echo, (replyTo: nact.Ref<string>) => ({ id: 'b', replyTo }), 100);
    vi.restoreAllMocks();
    const [a, b] = await Promise.allSettled([qa, qb]);
    expect(b).toEqual({ status: 'fulfilled', value: 'a' }); // B received A's answer
    expect(a).toMatchObject({ status: 'rejected', reason: { message: 'Query Timeout' } });
    nact.stop(system);
  });

  it('wrapper: names come from a monotonic counter and ask uses its own correlation ids, whatever Math.random does', async () => {
    const rt = startRuntime();
    vi.spyOn(Math, 'random').mockReturnValue(0.42);
    const sup = rt.supervisor('names');
    type Req = { n: number; reply: (n: number) => void };
    const refs = Array.from({ length: 2_000 }, () =>
      sup.spawn<undefined, Req>({ name: 'conn', initialState: () => undefined, handle: (s, m) => (m.reply(m.n), s) }),
    );
    expect(new Set(refs.map((r) => r.name)).size).toBe(refs.length);
    const ids = refs.map((r) => Number(r.name.slice('conn-'.length)));
    expect(ids.every((id, i) => i === 0 || id > ids[i - 1]!)).toBe(true);
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, n) => ask(refs[n % 2]!, (reply: (v: number) => void) => ({ n, reply }), 1_000)),
    );
    expect(replies).toEqual(Array.from({ length: 200 }, (_, n) => n));
  });
});

describe('defect 3: a message to a parent costs time proportional to its children', () => {
  const CHILDREN = 5_000;
  const MESSAGES = 100;

  /** Best of 3 rounds, in µs per message: the minimum filters scheduler noise. */
  async function perMessage(send: (done: () => void) => void): Promise<number> {
    let best = Infinity;
    for (let round = 0; round < 3; round++) {
      const c = countdown(MESSAGES);
      const t0 = performance.now();
      for (let i = 0; i < MESSAGES; i++) send(c.tick);
      await c.done;
      best = Math.min(best, ((performance.now() - t0) * 1000) / MESSAGES);
    }
    return best;
  }

  function rawParent(system: nact.ActorSystemRef, name: string, children: number): nact.Ref<() => void> {
    const parent = nact.spawn(system, (s: undefined, done: () => void) => (done(), s), name);
    for (let i = 0; i < children; i++) nact.spawn(parent, (s: undefined) => s, `c${i}`);
    return parent;
  }

  it('raw nact costs far more per message with 5,000 children; a ShardedSupervisor shard stays bounded', async () => {
    const system = nact.start();
    const lonely = rawParent(system, 'lonely', 0);
    const crowded = rawParent(system, 'crowded', CHILDREN);
    const rawEmpty = await perMessage((done) => nact.dispatch(lonely, done));
    const rawCrowded = await perMessage((done) => nact.dispatch(crowded, done));
    nact.stop(system);
    expect(rawCrowded).toBeGreaterThanOrEqual(3 * rawEmpty); // the defect: cost grows with the child count

    const rt = startRuntime();
    const sup = rt.supervisor('conns');
    for (let i = 0; i < CHILDREN; i++) sup.spawn({ initialState: () => 0, handle: (s: number) => s });
    expect(sup.size).toBe(CHILDREN);
    expect(sup.shardCount).toBe(CHILDREN / 500);
    expect(await sup.shardCensus()).toEqual(Array.from({ length: CHILDREN / 500 }, () => 500)); // nact's own view
    const shard = sup.shardRefs()[0]!;
    const sharded = await perMessage((done) => shard.tell({ kind: 'census', reply: done }));
    expect(rawCrowded).toBeGreaterThanOrEqual(3 * sharded);
  });
});

describe('defect 4: reset keeps a mutated initial state', () => {
  type Msg = { kind: 'add'; v: string } | { kind: 'get'; reply: (items: string[]) => void };
  type State = { items: string[] };
  const handle = (state: State, msg: Msg): State => {
    if (msg.kind === 'get') {
      msg.reply([...state.items]);
      return state;
    }
    state.items.push(msg.v); // handlers mutating state in place is common and legal
    if (msg.v === 'boom') throw new Error('boom');
    return state;
  };

  it('raw nact: after a reset the actor still sees what the crashed handler pushed', async () => {
    const system = nact.start();
    const ref = nact.spawn(system, handle, 'resettable', {
      initialState: { items: [] },
      onCrash: (_msg, _err, ctx) => ctx.reset,
    });
    nact.dispatch(ref, { kind: 'add', v: 'a' });
    nact.dispatch(ref, { kind: 'add', v: 'boom' });
    const items = await new Promise<string[]>((reply) => nact.dispatch(ref, { kind: 'get', reply }));
    expect(items).toEqual(['a', 'boom']); // should have been [] after the reset
    nact.stop(system);
  });

  it('wrapper: reset calls initialState() again, so the state is fresh', async () => {
    const rt = startRuntime();
    const ref = rt.root.spawn<State, Msg>({ initialState: () => ({ items: [] }), handle, onCrash: () => 'reset' });
    ref.tell({ kind: 'add', v: 'a' });
    ref.tell({ kind: 'add', v: 'boom' });
    const items = await ask(ref, (reply: (items: string[]) => void): Msg => ({ kind: 'get', reply }), 1_000);
    expect(items).toEqual([]);
    expect(rt.stats()).toMatchObject({ crashes: 1, resets: 1 });
  });
});

describe('defect 5: a handler that never settles wedges the actor', () => {
  it('raw nact: the next message is never processed', async () => {
    const system = nact.start();
    const seen: string[] = [];
    const ref = nact.spawn(
      system,
      (s: undefined, m: string) => (m === 'hang' ? new Promise<undefined>(() => undefined) : (seen.push(m), s)),
      'wedged',
    );
    nact.dispatch(ref, 'hang');
    nact.dispatch(ref, 'next');
    await sleep(60);
    expect(seen).toEqual([]);
    nact.stop(system);
  });

  it('wrapper: the handler times out as a HandlerTimeoutError crash and the actor moves on', async () => {
    const rt = startRuntime();
    const seen: string[] = [];
    const crashes: unknown[] = [];
    const ref = rt.root.spawn<number, string>({
      initialState: () => 0,
      handlerTimeoutMs: 20,
      handle: (s, m) => (m === 'hang' ? new Promise<number>(() => undefined) : (seen.push(m), s + 1)),
      onCrash: (error) => (crashes.push(error), 'resume'),
    });
    ref.tell('hang');
    ref.tell('next');
    await vi.waitFor(() => expect(seen).toEqual(['next']), { timeout: 1_000, interval: 5 });
    expect(crashes).toHaveLength(1);
    expect(crashes[0]).toBeInstanceOf(HandlerTimeoutError);
    expect(crashes[0]).toMatchObject({ code: 'HANDLER_TIMEOUT' });
    expect(rt.stats()).toMatchObject({ crashes: 1, mailboxDepth: 0 });
  });
});
