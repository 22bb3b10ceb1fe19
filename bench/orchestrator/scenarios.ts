import { clientModeOf, type BenchOptions, type ServerKind } from '../cli/options.js';
import type { CpuPlan } from './cpu-plan.js';
import { LoadFleet } from './load-fleet.js';
import { oneServer, runPhase, type PhaseResult, type PhaseSpec } from './phase.js';
import { settledRssKiB, startServer, stopServer, type ServerProcess } from './server-process.js';

export interface RunContext {
  options: BenchOptions;
  cpu: CpuPlan;
  workers: number;
  sourceAddresses: string[];
  perAddress: number;
  childLifetimeMs: number;
  log: (line: string) => void;
}

export interface MemoryResult {
  connections: number;
  baselineKiB: number;
  idleKiB: number;
  kibPerConnection: number;
}

export interface SaturationStep extends PhaseResult {
  ok: boolean;
  reason: string | undefined;
  /** A step between the last ladder rate that held and the first that failed. */
  refinement: boolean;
}

export interface SaturationResult {
  ladder: number[];
  steps: SaturationStep[];
  /** Highest delivered messages/s over the steps that held; 0 if none did. */
  maxSustainedPerS: number;
  atRatePerChannel: number | undefined;
  stoppedBecause: string;
}

export interface SetupResult<T> {
  kind: ServerKind;
  channels: number;
  memory: MemoryResult;
  connectSeconds: number;
  /** Server pings answered over the whole setup (SuperNova pings every 25 s and drops the silent). */
  pingsAnswered: number;
  /** Subscribers the server closed over the whole setup, by close code. */
  closeCodes: Record<string, number>;
  result: T;
}

/** The saturation criteria: what "sustained" means. */
export const SUSTAINED = { minRateRatio: 0.9, maxP99Ms: 1000 } as const;

const WARMUP_MS = 1000;
/** CPU used outside the benchmark, in % of one core, above which a phase is flagged as disturbed. */
export const NOISY_PCT = 20;

/**
 * One server process with N subscribed clients: start it alone, read its RSS, connect and
 * subscribe everybody, read RSS again, warm up, run `body`, then tear everything down (always).
 */
export async function withSetup<T>(kind: ServerKind, channels: string[], ctx: RunContext, warmupRate: number, body: (server: ServerProcess, fleet: LoadFleet) => Promise<T>): Promise<SetupResult<T>> {
  const o = ctx.options;
  const server = await startServer(kind, ctx.cpu, ctx.childLifetimeMs, o.batch === undefined ? {} : { fanoutBatchMax: o.batch });
  let fleet: LoadFleet | undefined;
  try {
    const baselineKiB = await settledRssKiB(server);
    const t0 = performance.now();
    fleet = await LoadFleet.start({
      workers: ctx.workers,
      subscribers: o.subscribers,
      mode: clientModeOf(kind),
      port: server.port,
      channels,
      sourceAddresses: ctx.sourceAddresses,
      perAddress: ctx.perAddress,
      cpu: ctx.cpu,
      maxLifetimeMs: ctx.childLifetimeMs,
    });
    await fleet.waitAllSubscribed(kind, o.subscribers, ctx.log);
    const connectSeconds = (performance.now() - t0) / 1000;
    const counted = (await server.child.request('counts', null, 10_000)).connections;
    const idleKiB = await settledRssKiB(server);
    const memory: MemoryResult = { connections: counted, baselineKiB, idleKiB, kibPerConnection: (idleKiB - baselineKiB) / o.subscribers };
    ctx.log(`    ${o.subscribers} subscribed in ${connectSeconds.toFixed(1)} s; server sees ${counted} connections; RSS ${fmtKiB(baselineKiB)} -> ${fmtKiB(idleKiB)} (${memory.kibPerConnection.toFixed(2)} KiB/connection)`);
    // JIT and socket buffers warm up here, outside every measurement.
    await runPhase(oneServer(server, fleet), fleet, phaseSpec(ctx, channels, warmupRate, WARMUP_MS));
    const result = await body(server, fleet);
    const end = await fleet.snapshot(false);
    const closed = Object.entries(end.closeCodes).map(([c, n]) => `${n}x ${c}`).join(', ') || 'none';
    ctx.log(`    ${end.pingsAnswered} server pings answered; subscribers closed by the server: ${closed}`);
    return { kind, channels: channels.length, memory, connectSeconds, pingsAnswered: end.pingsAnswered, closeCodes: end.closeCodes, result };
  } finally {
    if (fleet) await fleet.stop().catch(() => fleet?.kill());
    await stopServer(server);
  }
}

export function phaseSpec(ctx: RunContext, channels: string[], ratePerChannel: number, durationMs: number): PhaseSpec {
  return { ratePerChannel, durationMs, channels, tickMs: ctx.options.tickMs, drainMaxMs: 5000 };
}

/**
 * A phase, measured again once if something outside the benchmark took a large share of the
 * cores meanwhile (other users' builds and tests): a disturbed figure would be compared as if
 * it were the server's. The repeat is flagged, and a second disturbed one is kept as it is.
 */
async function quietPhase(server: ServerProcess, fleet: LoadFleet, ctx: RunContext, spec: PhaseSpec): Promise<PhaseResult> {
  const first = await runPhase(oneServer(server, fleet), fleet, spec);
  if (first.otherCpuPct <= NOISY_PCT) return first;
  ctx.log(`    R=${spec.ratePerChannel}/s disturbed (${first.otherCpuPct.toFixed(0)} % of a core used by other processes): measuring again`);
  const again = await runPhase(oneServer(server, fleet), fleet, spec);
  return { ...again, repeatedAfterNoise: true };
}

export async function steady(server: ServerProcess, fleet: LoadFleet, ctx: RunContext, channels: string[], label: string): Promise<PhaseResult> {
  const r = await quietPhase(server, fleet, ctx, phaseSpec(ctx, channels, ctx.options.rate, ctx.options.steadyMs));
  ctx.log(`    ${label}: ${describe(r)}`);
  return r;
}

/**
 * Raises the rate along the ladder and stops at the first step that does not hold; then narrows
 * the gap between the last rate that held and the first that failed (geometric bisection), since
 * one 1-2-5 step is a factor of 2 to 2.5 and a threshold landing inside it says little.
 */
export async function saturate(server: ServerProcess, fleet: LoadFleet, ctx: RunContext, channels: string[], ladder: number[]): Promise<SaturationResult> {
  const steps: SaturationStep[] = [];
  let best = 0;
  let at: number | undefined;
  let lastHeld: number | undefined;
  let firstFailed: number | undefined;
  let stoppedBecause = `held up to the last step (--sat-max ${ladder[ladder.length - 1] ?? '-'}/s)`;
  const measure = async (rate: number, refinement: boolean): Promise<boolean> => {
    const r = await quietPhase(server, fleet, ctx, phaseSpec(ctx, channels, rate, ctx.options.stepMs));
    const reason = failure(r);
    steps.push({ ...r, ok: reason === undefined, reason, refinement });
    ctx.log(`    R=${rate}/s${refinement ? ' (refine)' : ''}: ${describe(r)}${reason ? `  -> ${refinement ? 'fails' : 'stop'}: ${reason}` : ''}`);
    if (reason) return false;
    if (r.deliveredPerS > best) {
      best = r.deliveredPerS;
      at = rate;
    }
    return true;
  };
  for (const rate of ladder) {
    if (await measure(rate, false)) {
      lastHeld = rate;
      continue;
    }
    firstFailed = rate;
    stoppedBecause = `at R=${rate}/s: ${steps[steps.length - 1]?.reason ?? ''}`;
    break;
  }
  if (lastHeld !== undefined && firstFailed !== undefined) {
    let lo = lastHeld;
    let hi = firstFailed;
    for (let i = 0; i < ctx.options.refineSteps; i++) {
      const mid = Number(Math.sqrt(lo * hi).toPrecision(2));
      if (mid <= lo || mid >= hi) break;
      if (await measure(mid, true)) lo = mid;
      else hi = mid;
    }
    stoppedBecause += `; refined: holds at ${lo}/s, fails at ${hi}/s`;
  }
  return { ladder, steps, maxSustainedPerS: best, atRatePerChannel: at, stoppedBecause };
}

function failure(r: PhaseResult): string | undefined {
  const lost = Object.entries(r.disconnects);
  if (lost.length > 0) return `subscribers disconnected (${lost.map(([c, n]) => `${n}x ${c}`).join(', ')})`;
  if (r.rateRatio < SUSTAINED.minRateRatio) return `delivered ${(r.rateRatio * 100).toFixed(1)} % of the offered rate`;
  if (r.p99Ms > SUSTAINED.maxP99Ms) return `p99 ${r.p99Ms.toFixed(0)} ms > ${SUSTAINED.maxP99Ms} ms`;
  return undefined;
}

function describe(r: PhaseResult): string {
  return `${Math.round(r.deliveredPerS).toLocaleString('en-US')} msgs/s delivered of ${Math.round(r.offeredPerS).toLocaleString('en-US')} offered `
    + `(${(r.rateRatio * 100).toFixed(1)} %; total after drain ${(r.deliveryRatio * 100).toFixed(1)} %), p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, `
    + `cpu server ${r.serverCpuPct.toFixed(0)} % load ${r.loadCpuPct.toFixed(0)} %${r.otherCpuPct > NOISY_PCT ? ` (noisy machine: ${r.otherCpuPct.toFixed(0)} % of a core busy elsewhere)` : ''}`;
}

function fmtKiB(k: number): string {
  return `${(k / 1024).toFixed(1)} MiB`;
}
