/**
 * `npm run bench:pipeline`: the recorded SPY day through the market pipeline, against a hand-written
 * loop computing the same bars, then with WebSocket subscribers, then a paced replay's latency.
 * The orchestrator only starts processes and prints; the work is in child processes.
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchChild } from './orchestrator/bench-child.js';
import { planCpus, type CpuPlan } from './orchestrator/cpu-plan.js';
import { readHostLimits } from './orchestrator/host-limits.js';
import { LoadFleet, sleep } from './orchestrator/load-fleet.js';
import { resultsDir } from './orchestrator/paths.js';
import { epochMs } from './shared/clock.js';
import { median } from './shared/median.js';
import type { FanoutSettings, PacedPlan, PipelineServerArgs, PipelineServerReady, PipelineServerRpc } from './pipeline/protocol.js';

const HELP = `npm run bench:pipeline [-- options]
  --rounds N         runs of the hand loop and of the engine without subscribers (default 15; medians reported)
  --warmup N         untimed runs of each before those (default 5): the JIT settles on both first, and the
                     heap reaches the size at which the earlier engines' garbage is collected regularly
  --load-rounds N    runs with subscribers, each on a fresh engine (default 3)
  --subscribers N    WebSocket subscribers for the runs with subscribers and the paced replay (default 1000)
  --speed X          paced replay speed (default 100)
  --from HH:MM       paced replay window start, exchange time (default 09:30, the open)
  --seconds S        paced replay window, wall seconds (default 30)
  --batch N          SUPERNOVA_FANOUT_BATCH_MAX of the engines with subscribers (default: the engine's, 16)
  --flush-ms N       SUPERNOVA_FANOUT_FLUSH_MS of the engines with subscribers (default: the engine's, 0)
  --file PATH        tick CSV (default ../shared/data/market/spy-2013-10-07/ticks.csv.gz)
  --phases LIST      which of a,b (always together), c, d to run (default abcd)
  --channels LIST    channels the subscribers of (c) and (d) are spread over, evenly, in order
                     (default ticks:SPY,market:SPY,bars:1s:SPY,bars:1m:SPY; (d) times those of ticks:SPY)
  --no-pin           do not pin processes to cores
  --cpu-prof         the server child (hand loop, engines, pusher) writes a V8 CPU profile to
                     bench/results/profiles/ when it exits (open it in Chrome DevTools)
  --trace-gc         the server child prints every garbage collection`;

/** Every channel the pipeline publishes for SPY: by default the subscribers are spread evenly over them. */
const SPREAD_CHANNELS = ['ticks:SPY', 'market:SPY', 'bars:1s:SPY', 'bars:1m:SPY'];
/** In the paced replay, subscribers of these are timed: every trade carries its event time. */
const TIMED_CHANNELS = ['ticks:SPY'];
const RPC_MS = 120_000;

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

const rate = (ticks: number, ms: number): string => `${Math.round((ticks / ms) * 1000).toLocaleString('en-US')}`;
const spread = (xs: number[]): string => `${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)} ms`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        rounds: { type: 'string', default: '15' },
        warmup: { type: 'string', default: '5' },
        'load-rounds': { type: 'string', default: '3' },
        subscribers: { type: 'string', default: '1000' },
        speed: { type: 'string', default: '100' },
        from: { type: 'string', default: '09:30' },
        seconds: { type: 'string', default: '30' },
        batch: { type: 'string' },
        'flush-ms': { type: 'string' },
        file: { type: 'string', default: '../shared/data/market/spy-2013-10-07/ticks.csv.gz' },
        phases: { type: 'string', default: 'abcd' },
        channels: { type: 'string', default: SPREAD_CHANNELS.join(',') },
        'no-pin': { type: 'boolean', default: false },
        'cpu-prof': { type: 'boolean', default: false },
        'trace-gc': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    log(`${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const int = (name: string, v: string, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got ${v}`);
    return n;
  };
  let rounds: number, warmup: number, loadRounds: number, subscribers: number, seconds: number;
  const fanout: FanoutSettings = {};
  const speed = Number(values.speed);
  try {
    rounds = int('rounds', values.rounds, 1);
    warmup = int('warmup', values.warmup, 0);
    loadRounds = int('load-rounds', values['load-rounds'], 1);
    subscribers = int('subscribers', values.subscribers, 1);
    seconds = int('seconds', values.seconds, 1);
    if (values.batch !== undefined) fanout.fanoutBatchMax = int('batch', values.batch, 1);
    if (values['flush-ms'] !== undefined) fanout.fanoutFlushMs = int('flush-ms', values['flush-ms'], 0);
    if (!(speed > 0)) throw new Error(`--speed must be > 0, got ${values.speed}`);
    if (!/^\d{1,2}:\d{2}$/.test(values.from)) throw new Error(`--from must be HH:MM, got ${values.from}`);
    if (!/^[abcd]+$/.test(values.phases)) throw new Error(`--phases must be letters of abcd, got ${values.phases}`);
    if (!values.channels.split(',').every((c) => SPREAD_CHANNELS.includes(c))) throw new Error(`--channels must be a list of ${SPREAD_CHANNELS.join(', ')}, got ${values.channels}`);
  } catch (err) {
    log(`${(err as Error).message}\n\n${HELP}`);
    return 2;
  }

  const host = readHostLimits();
  const cpu = planCpus(host, !values['no-pin']);
  const lifetimeMs = 30 * 60_000;
  const watchdog = setTimeout(() => {
    log('bench: overall time limit exceeded; ending the child processes');
    BenchChild.killAll();
    process.exit(3);
  }, lifetimeMs);
  watchdog.unref();
  log(`pipeline benchmark: ${values.file}`);
  log(`cpu split: ${cpu.description.replace('(engine or raw peer, with its publisher loop)', '(ticks, hand loop, engine and its tick pusher)')}`);

  const args: PipelineServerArgs = { maxLifetimeMs: lifetimeMs, file: values.file };
  const { child: server, ready } = await BenchChild.spawn<PipelineServerRpc, PipelineServerReady>({
    label: 'pipeline-server',
    script: fileURLToPath(new URL('./pipeline/pipeline-server.js', import.meta.url)),
    args,
    cpus: cpu.serverCpus,
    tasksetPath: cpu.tasksetPath,
    // gc() before the paced window (collectGarbage), never inside a timed run.
    nodeFlags: [
      '--expose-gc',
      ...(values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${join(resultsDir(), 'profiles')}`] : []),
      ...(values['trace-gc'] ? ['--trace-gc'] : []),
    ],
    readyTimeoutMs: 60_000,
  });
  const n = ready.ticks;
  log(`${n.toLocaleString('en-US')} ticks parsed (read and gunzip happen before any timing, in neither figure)`);

  const rows: string[][] = [];
  const want = (phase: string): boolean => values.phases.includes(phase);
  let verified = '';
  try {
    // The ratio of (c) needs (a): (a) and (b) run unless only (d) is asked for.
    let handMs = Number.NaN;
    if (want('a') || want('b') || want('c')) {
      const ab = await throughputWithoutSubscribers(server, warmup, rounds, n);
      handMs = ab.handMs;
      verified = ab.verified;
      rows.push(...ab.rows);
    }
    const load: LoadSetup = { cpu, subscribers, channels: values.channels.split(','), fanout };
    if (want('c')) rows.push(await throughputWithSubscribers(server, load, loadRounds, n, handMs));
    if (want('d')) await pacedLatency(server, load, { from: values.from, seconds, speed, timedChannels: TIMED_CHANNELS });

    if (rows.length > 0) {
      log('');
      log(`${n.toLocaleString('en-US')} ticks, medians of ${rounds} (a, b; after ${warmup} warm-up rounds) and ${loadRounds} (c) runs; ratio = hand loop time / this time`);
      log(`bars check, (b) first round against (a): ${verified}`);
      const header = ['run', 'ticks/s', 'day in', 'range', 'ratio to (a)'];
      const widths = header.map((hd, i) => Math.max(hd.length, ...rows.map((row) => (row[i] ?? '').length)));
      const fmt = (row: string[]): string => `| ${row.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
      process.stdout.write(`${[fmt(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(fmt)].join('\n')}\n`);
    }
    return verified === '' || verified.startsWith('equal') ? 0 : 1;
  } finally {
    try {
      await server.request('stop', null, 15_000);
    } catch {
      // Killed below if it does not exit.
    }
    await server.waitExit(5000);
  }
}

/**
 * (a) and (b), alternating round by round so both see the same machine noise, after `warmup`
 * untimed rounds of each (the first runs of either are mostly the JIT at work); (b) checked
 * against (a) once.
 */
async function throughputWithoutSubscribers(server: BenchChild<PipelineServerRpc>, warmup: number, rounds: number, n: number): Promise<{ handMs: number; verified: string; rows: string[][] }> {
  for (let r = 0; r < warmup; r++) {
    const handMs = (await server.request('handLoop', null, RPC_MS)).elapsedMs;
    await server.request('freshEngine', {}, RPC_MS);
    const run = await server.request('engineRun', null, RPC_MS);
    log(`  warm-up ${r + 1}: hand loop ${handMs.toFixed(1)} ms, engine ${run.elapsedMs.toFixed(1)} ms (not counted)`);
  }
  const hand: number[] = [];
  const bare: number[] = [];
  let verified = '';
  for (let r = 0; r < rounds; r++) {
    hand.push((await server.request('handLoop', null, RPC_MS)).elapsedMs);
    await server.request('freshEngine', {}, RPC_MS);
    const run = await server.request('engineRun', null, RPC_MS);
    bare.push(run.elapsedMs);
    if (r === 0) {
      const v = await server.request('verify', null, RPC_MS);
      verified = v.difference === null ? `equal: ${v.bars.toLocaleString('en-US')} closed 1s and 1m bars` : `DIFFERENT: ${v.difference}`;
    }
    log(`  round ${r + 1}: hand loop ${hand.at(-1)?.toFixed(1)} ms, engine ${run.elapsedMs.toFixed(1)} ms${run.busyWaits ? ` (${run.busyWaits} busy waits)` : ''}`);
  }
  const handMs = median(hand);
  const bareMs = median(bare);
  return {
    handMs,
    verified,
    rows: [
      ['(a) hand-written loop', rate(n, handMs), `${handMs.toFixed(1)} ms`, spread(hand), '1.00'],
      ['(b) engine, no subscribers', rate(n, bareMs), `${bareMs.toFixed(1)} ms`, spread(bare), (handMs / bareMs).toFixed(3)],
    ],
  };
}

/** (c): the day as fast as possible into an engine with subscribers; a fresh engine and fleet per round. */
async function throughputWithSubscribers(server: BenchChild<PipelineServerRpc>, load: LoadSetup, rounds: number, n: number, handMs: number): Promise<string[]> {
  const times = await withSubscribers(server, load, async (fleet) => {
    const out: number[] = [];
    for (let r = 0; r < rounds; r++) {
      if (r > 0) await fleet.restart();
      const run = await server.request('engineRun', null, RPC_MS);
      const seen = await fleet.drained();
      out.push(run.elapsedMs);
      const closes = Object.keys(seen.closeCodes).length ? `, disconnects ${JSON.stringify(seen.closeCodes)}` : '';
      log(`  round ${r + 1} with ${load.subscribers} subscribers: engine ${run.elapsedMs.toFixed(1)} ms; delivered ${run.delivered.toLocaleString('en-US')}, received ${seen.received.toLocaleString('en-US')}${closes}`);
    }
    return out;
  });
  const ms = median(times);
  const on = load.channels.length === SPREAD_CHANNELS.length ? '' : ` on ${load.channels.join(',')}`;
  return [`(c) engine, ${load.subscribers} subscribers${on}`, rate(n, ms), `${ms.toFixed(1)} ms`, spread(times), Number.isNaN(handMs) ? '-' : (handMs / ms).toFixed(3)];
}

/** (d): a window of the day at `plan.speed`, every tick timed from when it was due to its receipt. */
async function pacedLatency(server: BenchChild<PipelineServerRpc>, load: LoadSetup, plan: PacedPlan): Promise<void> {
  const timedSubscribers = load.channels.reduce((sum, c, i) => sum + (plan.timedChannels.includes(c) ? Math.floor(load.subscribers / load.channels.length) + (i < load.subscribers % load.channels.length ? 1 : 0) : 0), 0);
  log('');
  log(`(d) paced replay at ${plan.speed}x, fan-out ${JSON.stringify(load.fanout)}, ${plan.seconds} s from ${plan.from}, ${load.subscribers} subscribers spread over ${load.channels.join(', ')}, timed on ${plan.timedChannels.join(', ')}:`);
  const p99: Partial<Record<'supernova' | 'raw', number>> = {};
  // The baseline replays the same window to the same subscribers through bare uWebSockets.js:
  // what this machine and load client allow when nothing but native fan-out runs.
  for (const target of ['supernova', 'raw'] as const) {
    const { outcome, seen } = await withSubscribers(server, { ...load, target }, async (fleet) => {
      await server.request('collectGarbage', null, RPC_MS);
      const wallOrigin = epochMs() + 1000;
      const timebase = await server.request('pacedTimebase', { ...plan, wallOrigin }, RPC_MS);
      await fleet.fleet.setTimebase(timebase);
      await fleet.fleet.reset();
      const result = await server.request('paced', { ...plan, wallOrigin }, RPC_MS + plan.seconds * 1000);
      return { outcome: result, seen: await fleet.drained() };
    });
    const h = seen.histogram;
    const ms = (p: number): string => (h.percentileUs(p) / 1000).toFixed(2);
    p99[target] = h.percentileUs(99) / 1000;
    const closes = Object.keys(seen.closeCodes).length ? `; disconnects ${JSON.stringify(seen.closeCodes)}` : '';
    log(`  ${target === 'raw' ? 'raw uWS (one frame per symbol per push to ticks:SYM, nothing else)' : 'SuperNova'}, ${outcome.ticks.toLocaleString('en-US')} ticks:`);
    log(`    due-to-receipt latency p50 ${ms(50)} ms, p90 ${ms(90)} ms, p99 ${ms(99)} ms, p99.9 ${ms(99.9)} ms, max ${(h.maxValueUs / 1000).toFixed(2)} ms over ${h.count.toLocaleString('en-US')} trades`);
    log(`    ticks expected by the timed subscribers ${(outcome.ticks * timedSubscribers).toLocaleString('en-US')}, timed ${h.count.toLocaleString('en-US')}; all messages received ${seen.received.toLocaleString('en-US')}; pacing lag p99 ${outcome.lagP99Ms.toFixed(2)} ms, max ${outcome.maxLagMs.toFixed(2)} ms${closes}`);
    log(`    server: ${((100 * outcome.cpuMs) / outcome.elapsedMs).toFixed(0)} % of a core over the window, event-loop delay p99 ${outcome.loopDelayP99Ms.toFixed(1)} ms, max ${outcome.loopDelayMaxMs.toFixed(1)} ms`);
  }
  if (p99.supernova !== undefined && p99.raw) log(`  p99 SuperNova / raw uWS: ${(p99.supernova / p99.raw).toFixed(2)}x`);
}

interface Subscribed {
  fleet: LoadFleet;
  /** A fresh engine, and every subscriber connected to it again. */
  restart(): Promise<void>;
  /** Waits until no more messages arrive (half a second quiet), then answers the fleet's counts. */
  drained(): Promise<Awaited<ReturnType<LoadFleet['snapshot']>>>;
}

/** A fresh engine with `subscribers` connected and subscribed, for `body`; everything stopped after. */
interface LoadSetup {
  cpu: CpuPlan;
  subscribers: number;
  channels: string[];
  fanout: FanoutSettings;
  /** The engine (default), or the raw tick server the paced replay is compared with. */
  target?: 'supernova' | 'raw';
}

/** A fresh engine with `subscribers` connected and subscribed, for `body`; everything stopped after. */
async function withSubscribers<T>(server: BenchChild<PipelineServerRpc>, setup: LoadSetup, body: (s: Subscribed) => Promise<T>): Promise<T> {
  const { cpu, subscribers, channels, fanout, target = 'supernova' } = setup;
  let fleet: LoadFleet | undefined;
  const connect = async (): Promise<LoadFleet> => {
    const { port } = target === 'raw' ? await server.request('freshRaw', null, RPC_MS) : await server.request('freshEngine', fanout, RPC_MS);
    const f = await LoadFleet.start({ workers: 1, subscribers, mode: target, port, channels, sourceAddresses: [], perAddress: subscribers, cpu, maxLifetimeMs: 30 * 60_000 });
    fleet = f;
    await f.waitAllSubscribed('pipeline', subscribers, log);
    const held = await server.request('connections', null, RPC_MS);
    if (held < subscribers) throw new Error(`the ${target} server holds ${held} connections, expected ${subscribers}`);
    return f;
  };
  try {
    const subscribed: Subscribed = {
      fleet: await connect(),
      restart: async () => {
        await fleet?.stop();
        subscribed.fleet = await connect();
      },
      drained: async () => {
        let last = -1;
        for (;;) {
          const snap = await subscribed.fleet.snapshot(true);
          if (snap.received === last) return snap;
          last = snap.received;
          await sleep(500);
        }
      },
    };
    return await body(subscribed);
  } finally {
    await fleet?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    BenchChild.killAll();
    process.exit(1);
  },
);
