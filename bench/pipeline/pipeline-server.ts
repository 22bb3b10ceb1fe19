/** Child-process entry of the pipeline bench: the ticks, the hand loop and the engine, on one core. */
import type { Engine } from '../../src/index.js';
import type { Tick } from '../../streams/index.js';
import { announceReady, childArgs, guardLifetime, serveParent } from '../shared/ipc.js';
import { loadDayTicks } from './day-ticks.js';
import { benchEngine, closedBars, firstDifference, LATENESS_MS, pushAll } from './engine-run.js';
import { runHandLoop, type HandLoopResult, type PlainBar } from './hand-loop.js';
import { pacedWindow, runPaced } from './paced-run.js';
import { startRawTickServer, type RawTickServer } from './raw-tick-server.js';
import type { PipelineServerArgs, PipelineServerReady, PipelineServerRpc } from './protocol.js';

const args = childArgs<PipelineServerArgs>();
guardLifetime(args.maxLifetimeMs);
const ticks: Tick[] = await loadDayTicks(args.file);
let engine: Engine | undefined;
let raw: RawTickServer | undefined;
let port = 0;
let hand: HandLoopResult | undefined;

const delivered = async (): Promise<number> => {
  if (raw) return raw.delivered();
  const { body } = await (engine as Engine).metrics.render();
  return Number(/^supernova_messages_delivered_total (\d+)/m.exec(body)?.[1] ?? 0);
};
const current = (): Engine => {
  if (!engine) throw new Error('no engine: call freshEngine first');
  return engine;
};
const byIntervalThenStart = (bars: PlainBar[]): PlainBar[] => [...bars.filter((b) => b.interval === '1s'), ...bars.filter((b) => b.interval === '1m')];

async function stopCurrent(): Promise<void> {
  raw?.stop();
  raw = undefined;
  await engine?.stop();
  engine = undefined;
}

serveParent<PipelineServerRpc>({
  handLoop: () => {
    hand = runHandLoop(ticks, LATENESS_MS);
    return { elapsedMs: hand.elapsedMs, closedBars: hand.closed.length };
  },
  freshEngine: async (fanout) => {
    await stopCurrent();
    engine = benchEngine(fanout);
    ({ port } = await engine.start());
    return { port };
  },
  freshRaw: async () => {
    await stopCurrent();
    raw = await startRawTickServer();
    return { port: raw.port };
  },
  engineRun: async () => {
    const before = await delivered();
    const run = await pushAll(current(), ticks);
    return { ...run, delivered: (await delivered()) - before };
  },
  verify: async () => {
    if (!hand) throw new Error('run the hand loop first');
    current();
    const engineBars = [...(await closedBars(port, 'SPY', '1s')), ...(await closedBars(port, 'SPY', '1m'))];
    return { bars: engineBars.length, difference: firstDifference(byIntervalThenStart(hand.closed), engineBars) ?? null };
  },
  pacedTimebase: (plan) => pacedWindow(ticks, plan, plan.wallOrigin).timebase,
  paced: (plan) => {
    const window = pacedWindow(ticks, plan, plan.wallOrigin);
    if (raw) return runPaced(raw.push, window, delivered);
    const ingest = current().ingest;
    return runPaced((batch) => ingest.push(batch), window, delivered);
  },
  connections: () => raw?.connections() ?? current().connections,
  collectGarbage: () => {
    const t0 = performance.now();
    // The child runs with --expose-gc.
    (globalThis as { gc?: () => void }).gc?.();
    return performance.now() - t0;
  },
  stop: async () => {
    await stopCurrent();
    setTimeout(() => process.exit(0), 50);
    return null;
  },
});

const ready: PipelineServerReady = { pid: process.pid, ticks: ticks.length };
announceReady(ready);
