/** Child-process entry of the pipeline bench: the ticks, the hand loop and the engine, on one core. */
import type { Engine } from '../../src/index.js';
import type { Tick } from '../../streams/index.js';
import { announceReady, childArgs, guardLifetime, serveParent } from '../shared/ipc.js';
import { loadDayTicks } from './day-ticks.js';
import { benchEngine, closedBars, firstDifference, LATENESS_MS, pushAll } from './engine-run.js';
import { runHandLoop, type HandLoopResult, type PlainBar } from './hand-loop.js';
import { pacedWindow, runPaced } from './paced-run.js';
import type { PipelineServerArgs, PipelineServerReady, PipelineServerRpc } from './protocol.js';

const args = childArgs<PipelineServerArgs>();
guardLifetime(args.maxLifetimeMs);
const ticks: Tick[] = await loadDayTicks(args.file);
let engine: Engine | undefined;
let port = 0;
let hand: HandLoopResult | undefined;

const delivered = async (): Promise<number> => {
  const { body } = await (engine as Engine).metrics.render();
  return Number(/^supernova_messages_delivered_total (\d+)/m.exec(body)?.[1] ?? 0);
};
const current = (): Engine => {
  if (!engine) throw new Error('no engine: call freshEngine first');
  return engine;
};
const byIntervalThenStart = (bars: PlainBar[]): PlainBar[] => [...bars.filter((b) => b.interval === '1s'), ...bars.filter((b) => b.interval === '1m')];

serveParent<PipelineServerRpc>({
  handLoop: () => {
    hand = runHandLoop(ticks, LATENESS_MS);
    return { elapsedMs: hand.elapsedMs, closedBars: hand.closed.length };
  },
  freshEngine: async (fanout) => {
    await engine?.stop();
    engine = benchEngine(fanout);
    ({ port } = await engine.start());
    return { port };
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
  paced: (plan) => runPaced(current(), pacedWindow(ticks, plan, plan.wallOrigin), delivered),
  connections: () => current().connections,
  stop: async () => {
    await engine?.stop();
    engine = undefined;
    setTimeout(() => process.exit(0), 50);
    return null;
  },
});

const ready: PipelineServerReady = { pid: process.pid, ticks: ticks.length };
announceReady(ready);
