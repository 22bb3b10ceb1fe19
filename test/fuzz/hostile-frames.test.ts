import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import type { EngineProcess } from '../support/engine-process.js';
import { connected, sdkClient, subscribed, until } from '../support/client.js';
import { extSweep, fuzzFrameArb, PUBLISHABLE, type FuzzFrame } from './frames.js';
import { FuzzFleet } from './fuzz-fleet.js';
import { Listener } from './listener.js';
import { HealthyStream } from './healthy-stream.js';
import { RssWatch } from './rss-watch.js';
import { PauseWatch } from './pause-watch.js';
import { fuzzOptions } from './fuzz-options.js';
import { API_KEY, HEALTHY_CHANNEL, startFuzzEngine } from './fuzz-engine.js';
import { writeCrashReport } from './crash-report.js';

const o = fuzzOptions(process.env);
/** The ext sweep is spread over the first runs (at most this many), so even a short run sends all of it. */
const SWEEP_RUNS = 20;

let engine: EngineProcess;
let fleet: FuzzFleet;
let healthy: HealthyStream;
let rss: RssWatch;
const watch = new PauseWatch();
const listeners: Listener[] = [];
let startedAt = 0;

const sortedObject = (m: Map<string | number, number>): Record<string, number> =>
  Object.fromEntries([...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => [String(k), v]));

function figures(): Record<string, unknown> {
  return {
    seed: o.seed,
    framesSent: fleet.sent,
    durationS: Math.round((Date.now() - startedAt) / 100) / 10,
    framesByKind: sortedObject(fleet.framesByKind),
    framesByEncoding: sortedObject(fleet.framesByEncoding),
    replies: sortedObject(fleet.counters.replies),
    closes: sortedObject(fleet.counters.closes),
    closesByKind: Object.fromEntries([...fleet.closesByKind].map(([kind, m]) => [kind, sortedObject(m)])),
    pushes: fleet.counters.pushes,
    unreadableServerFrames: fleet.counters.unreadable,
    connectionsOpened: fleet.opened,
    openFailures: fleet.openFailures,
    unanswered: fleet.unanswered.length,
    listeners: listeners.map((l) => ({ encoding: l.encoding, pushes: l.counters.pushes, closes: sortedObject(l.counters.closes), reconnects: l.reconnects })),
    healthy: { ...healthy.figures, missing: healthy.missing() },
    // Time the harness itself stood still, left out of the figures above.
    harnessStalls: watch.figures,
    rssMb: { start: round(rss.start), peak: round(rss.peak), end: round(rss.end) },
    engineWarnings: sortedObject(engine.warnings),
  };
}

const round = (v: number | undefined): number | undefined => (v === undefined ? undefined : Math.round(v));

/** What is wrong now, if anything: the engine died, the healthy client stalled or lost one, a reply never came, memory ran away. */
function problems(): string[] {
  const out: string[] = [];
  if (!engine.alive) out.push(`the engine exited (code ${engine.exit?.code}, signal ${engine.exit?.signal})`);
  const h = healthy.figures;
  if (h.disconnects > 0 || h.unsubscribes > 0) out.push(`the healthy client was disconnected ${h.disconnects} and unsubscribed ${h.unsubscribes} times`);
  if (h.gaps > 0) out.push(`the healthy client saw ${h.gaps} offset gaps`);
  if (healthy.waitingMs() > o.maxStallMs) out.push(`a healthy publication has been on its way for ${healthy.waitingMs()} ms`);
  if (h.maxLatencyMs > o.maxStallMs) out.push(`a healthy publication took ${h.maxLatencyMs} ms`);
  if (fleet.unanswered.length > 0) {
    const u = fleet.unanswered[0];
    out.push(`${fleet.unanswered.length} frames got no reply on an open socket, first: ${u?.kind} ${u?.encoding} (${u?.detail}) ${u?.data.slice(0, 300)}`);
  }
  if (rss.growthMb() > o.maxRssGrowthMb) out.push(`engine RSS grew ${Math.round(rss.growthMb())} MB (from ${round(rss.start)} to ${round(rss.peak)})`);
  return out;
}

function report(reason: string): string {
  return writeCrashReport({
    seed: o.seed, reason, exit: engine.exit, engineOutput: engine.output(),
    recent: fleet.recent, unanswered: fleet.unanswered.slice(0, 50), figures: figures(),
  });
}

beforeAll(async () => {
  engine = await startFuzzEngine();
  watch.start();
  healthy = new HealthyStream({ url: engine.url, http: engine.http, apiKey: API_KEY, channel: HEALTHY_CHANNEL, periodMs: 20, watch });
  await healthy.start();
  for (const encoding of ['json', 'msgpack', 'protobuf'] as const) {
    const l = new Listener(engine.url, encoding, PUBLISHABLE);
    await l.start();
    listeners.push(l);
  }
  fleet = new FuzzFleet({ url: engine.url, workers: o.workers, paceMs: 25, replyTimeoutMs: 5000, skipConnectEvery: 10, watch });
  rss = new RssWatch(engine);
}, 60_000);

afterAll(async () => {
  fleet?.stop();
  healthy?.stop();
  await Promise.all(listeners.map((l) => l.stop()));
  await engine?.stop();
  watch.stop();
});

describe('fuzz: hostile frames from many connections beside a healthy client', () => {
  const timeout = o.seconds > 0 ? (o.seconds + 60) * 1000 : o.frames * 25 + 120_000;
  it('the engine stays up, the healthy client keeps receiving, memory stays bounded', { timeout }, async () => {
    console.log(`fuzz: seed ${o.seed}, up to ${o.frames} frames${o.seconds > 0 ? ` or ${o.seconds} s` : ''}; replay with FUZZ_SEED=${o.seed}`);
    startedAt = Date.now();
    rss.begin();
    const deadline = o.seconds > 0 ? startedAt + o.seconds * 1000 : Infinity;
    const sweep = extSweep();
    // The sweep counts in the frames asked for.
    const numRuns = Math.max(1, Math.ceil(Math.max(0, o.frames - sweep.length) / o.batch));
    const sweepPerRun = Math.ceil(sweep.length / Math.min(numRuns, SWEEP_RUNS));
    // Past the deadline the remaining runs are empty, so they cost nothing to generate.
    const batchArb = fc.constant(null).chain(() => (Date.now() > deadline ? fc.constant<FuzzFrame[]>([]) : fc.array(fuzzFrameArb, { minLength: o.batch, maxLength: o.batch })));
    let failure: string | undefined;
    await fc.assert(
      fc.asyncProperty(batchArb, async (batch) => {
        if (batch.length === 0) return;
        const swept = sweep.splice(0, sweepPerRun);
        const frames = batch.flatMap((f, i) => (i % 2 === 1 && swept.length > 0 ? [f, swept.shift() as FuzzFrame] : [f])).concat(swept);
        await fleet.run(frames);
        // A crash in a fan-out microtask takes a moment to end the process.
        await new Promise((r) => setTimeout(r, 20));
        const wrong = problems();
        if (wrong.length > 0) throw new Error(wrong.join('; '));
      }),
      {
        seed: o.seed,
        numRuns,
        endOnFailure: true,
        // The default report prints the whole counterexample (megabytes of frames): the file has them.
        reporter: (details) => {
          if (!details.failed) return;
          const why = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
          failure = `fuzz run ${details.numRuns} failed (seed ${details.seed}, path ${details.counterexamplePath}): ${why}`;
        },
      },
    );
    if (failure) {
      if (o.report) writeFileSync(o.report, JSON.stringify(figures(), null, 2));
      const path = report(failure);
      throw new Error(`${failure}\nframes sent last, the engine's output and the figures: ${path}\n${engine.output().slice(0, 3000)}`);
    }

    // The fuzz is over: the healthy stream goes on a little, then every accepted publication must have arrived.
    fleet.stop();
    await new Promise((r) => setTimeout(r, 2000));
    await healthy.stopPublishing();
    await until(() => healthy.missing() === 0 || !engine.alive, 'the healthy client to receive every publication', 5000).catch(() => {});
    rss.finish();

    const wrong = problems();
    if (healthy.missing() > 0) wrong.push(`the healthy client is missing ${healthy.missing()} publications`);
    // A new client still gets in and receives.
    if (engine.alive) {
      const fresh = sdkClient(engine.url);
      try {
        await connected(fresh);
        const sub = await subscribed(fresh, HEALTHY_CHANNEL);
        let got = false;
        sub.on('publication', () => { got = true; });
        const res = await fetch(`${engine.http}/api/publish`, { method: 'POST', headers: { authorization: `apikey ${API_KEY}` }, body: JSON.stringify({ channel: HEALTHY_CHANNEL, data: { fresh: true } }) });
        expect(res.status).toBe(200);
        await until(() => got, 'a publication to a fresh client');
        const health = await fetch(`${engine.http}/performance/health`);
        if (health.status !== 200) wrong.push(`/performance/health answered ${health.status}`);
      } catch (err) {
        wrong.push(`a fresh client could not connect, subscribe and receive: ${(err as Error).message}`);
      } finally {
        fresh.disconnect();
      }
    }
    const f = figures();
    console.log(`fuzz figures: ${JSON.stringify(f)}`);
    if (o.report) writeFileSync(o.report, JSON.stringify(f, null, 2));
    if (wrong.length > 0) throw new Error(`${wrong.join('; ')}\nreport: ${report(wrong.join('; '))}\n${engine.output().slice(0, 3000)}`);
    expect(engine.alive).toBe(true);
    expect(sweep).toHaveLength(0);
  });
});
