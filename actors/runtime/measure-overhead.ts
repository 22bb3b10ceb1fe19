/**
 * Rough per-message cost of this layer over raw nact (not a test: timings are
 * machine dependent). Run: npx tsx actors/runtime/measure-overhead.ts
 */
import nact from 'nact';
import { ActorRuntime } from './index.js';

const MESSAGES = 200_000;
const ACTORS = 2_000;
const PER_ACTOR = 50;
const ROUNDS = 7;

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

/** Only the synchronous enqueue (tell vs dispatch), isolated from nact's one-setImmediate-per-message loop. */
async function rawEnqueue(): Promise<number> {
  const system = nact.start();
  const c = countdown(MESSAGES);
  const ref = nact.spawn(system, (s: number) => (c.tick(), s + 1), 'a', { initialStateFunc: () => 0 });
  const t0 = performance.now();
  for (let i = 0; i < MESSAGES; i++) nact.dispatch(ref, i);
  const t = performance.now() - t0;
  await c.promise;
  nact.stop(system);
  return (t * 1000) / MESSAGES;
}

async function wrappedEnqueue(): Promise<number> {
  const rt = new ActorRuntime();
  rt.start();
  const c = countdown(MESSAGES);
  const ref = rt.root.spawn<number, number>({ initialState: () => 0, mailboxLimit: MESSAGES, handle: (s) => (c.tick(), s + 1) });
  const t0 = performance.now();
  for (let i = 0; i < MESSAGES; i++) ref.tell(i);
  const t = performance.now() - t0;
  await c.promise;
  await rt.stop();
  return (t * 1000) / MESSAGES;
}

/** Interleaves raw and wrapped rounds so machine drift hits both alike; keeps each side's best round. */
async function compare(label: string, raw: () => Promise<number>, wrapped: () => Promise<number>): Promise<void> {
  let bestRaw = Infinity;
  let bestWrapped = Infinity;
  for (let i = 0; i < ROUNDS; i++) {
    bestRaw = Math.min(bestRaw, await raw());
    bestWrapped = Math.min(bestWrapped, await wrapped());
  }
  const overhead = bestWrapped - bestRaw;
  console.log(
    `${label.padEnd(30)} raw ${bestRaw.toFixed(3)} µs/msg  wrapped ${bestWrapped.toFixed(3)} µs/msg  overhead ${overhead.toFixed(3)} µs/msg`,
  );
}

await compare('enqueue only (tell/dispatch)', rawEnqueue, wrappedEnqueue);
await compare('1 actor, sync handler', () => rawOneActor(false), () => wrappedOneActor(false));
await compare('1 actor, async handler', () => rawOneActor(true), () => wrappedOneActor(true));
await compare(`${ACTORS} actors x ${PER_ACTOR} msgs, sync`, rawManyActors, wrappedManyActors);
