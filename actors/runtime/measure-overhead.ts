/**
 * Rough per-message cost of this layer over raw nact (not a test: timings are
 * machine dependent). Run: npx tsx actors/runtime/measure-overhead.ts
 */
import nact from 'nact';
import { ActorRuntime } from './index.js';

const MESSAGES = 200_000;
const ACTORS = 2_000;
const PER_ACTOR = 50;
const ROUNDS = 5;

type Done = () => void;

function countdown(n: number): { promise: Promise<void>; tick: Done } {
  let left = n;
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, tick: () => (--left === 0 ? resolve() : undefined) };
}

async function rawOneActor(isAsync: boolean): Promise<number> {
  const system = nact.start();
  const c = countdown(MESSAGES);
  const f = isAsync
    ? async (s: number) => { c.tick(); return s + 1; }
    : (s: number) => { c.tick(); return s + 1; };
  const ref = nact.spawn(system, f, 'a', { initialStateFunc: () => 0 });
  const t0 = performance.now();
  for (let i = 0; i < MESSAGES; i++) nact.dispatch(ref, i);
  await c.promise;
  const t = performance.now() - t0;
  nact.stop(system);
  return (t * 1000) / MESSAGES;
}

async function wrappedOneActor(isAsync: boolean): Promise<number> {
  const rt = new ActorRuntime();
  rt.start();
  const c = countdown(MESSAGES);
  const ref = rt.root.spawn<number, number>({
    initialState: () => 0,
    mailboxLimit: MESSAGES,
    handle: isAsync ? async (s) => { c.tick(); return s + 1; } : (s) => { c.tick(); return s + 1; },
  });
  const t0 = performance.now();
  for (let i = 0; i < MESSAGES; i++) ref.tell(i);
  await c.promise;
  const t = performance.now() - t0;
  await rt.stop();
  return (t * 1000) / MESSAGES;
}

async function rawManyActors(): Promise<number> {
  const system = nact.start();
  const c = countdown(ACTORS * PER_ACTOR);
  const parents = Array.from({ length: Math.ceil(ACTORS / 500) }, (_, i) => nact.spawn(system, (s: undefined) => s, `p${i}`));
  const refs = Array.from({ length: ACTORS }, (_, i) =>
    nact.spawn(parents[i % parents.length]!, (s: number) => { c.tick(); return s + 1; }, `a${i}`, { initialStateFunc: () => 0 }));
  const t0 = performance.now();
  for (let k = 0; k < PER_ACTOR; k++) for (const ref of refs) nact.dispatch(ref, k);
  await c.promise;
  const t = performance.now() - t0;
  nact.stop(system);
  return (t * 1000) / (ACTORS * PER_ACTOR);
}

async function wrappedManyActors(): Promise<number> {
  const rt = new ActorRuntime();
  rt.start();
  const sup = rt.supervisor('bench');
  const c = countdown(ACTORS * PER_ACTOR);
  const refs = Array.from({ length: ACTORS }, () =>
    sup.spawn<number, number>({ initialState: () => 0, handle: (s) => { c.tick(); return s + 1; } }));
  const t0 = performance.now();
  for (let k = 0; k < PER_ACTOR; k++) for (const ref of refs) ref.tell(k);
  await c.promise;
  const t = performance.now() - t0;
  await rt.stop();
  return (t * 1000) / (ACTORS * PER_ACTOR);
}

async function best(f: () => Promise<number>): Promise<number> {
  let min = Infinity;
  for (let i = 0; i < ROUNDS; i++) min = Math.min(min, await f());
  return min;
}

const rows: [string, number, number][] = [
  ['1 actor, sync handler', await best(() => rawOneActor(false)), await best(() => wrappedOneActor(false))],
  ['1 actor, async handler', await best(() => rawOneActor(true)), await best(() => wrappedOneActor(true))],
  [`${ACTORS} actors x ${PER_ACTOR} msgs, sync`, await best(rawManyActors), await best(wrappedManyActors)],
];
for (const [label, raw, wrapped] of rows) {
  console.log(`${label.padEnd(28)} raw ${raw.toFixed(3)} µs/msg  wrapped ${wrapped.toFixed(3)} µs/msg  overhead ${(wrapped - raw).toFixed(3)} µs/msg`);
}
