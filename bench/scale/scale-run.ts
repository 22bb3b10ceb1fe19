import { LoadFleet, sleep } from '../orchestrator/load-fleet.js';
import type { CpuPlan } from '../orchestrator/cpu-plan.js';
import { runPhase, type PhaseResult, type PhaseSpec } from '../orchestrator/phase.js';
import { settledRssKiB, startServer, stopServer, type ServerProcess } from '../orchestrator/server-process.js';
import type { ScaleOptions, ScaleServerKind } from './options.js';

export interface ScaleContext {
  options: ScaleOptions;
  cpu: CpuPlan;
  /** The one port every server process of a run listens on. */
  port: number;
  processes: number;
  workers: number;
  sourceAddresses: string[];
  perAddress: number;
  childLifetimeMs: number;
  log: (line: string) => void;
}

export interface ScaleProcessResult {
  pid: number;
  /** Connections this process holds, by its own count, once all are subscribed. */
  connections: number;
  baselineKiB: number;
  idleKiB: number;
}

export interface ScaleRun {
  kind: ScaleServerKind;
  subscribers: number;
  processes: ScaleProcessResult[];
  /** From the first handshake to the last subscribe reply (or open socket for raw). */
  connectSeconds: number;
  holdSeconds: number;
  /** Connections still open after the hold (none may be lost while idle). */
  openAfterHold: number;
  /** Sums over the server processes: before any connection, and with every connection idle. */
  baselineKiB: number;
  idleKiB: number;
  kibPerConnection: number;
  pingsAnswered: number;
  closeCodes: Record<string, number>;
  publish: PhaseResult;
}

const CHANNEL = 'bench:0';
const WARMUP_MS = 1000;

/**
 * One server kind at scale: P processes on one port, each baselined alone; N subscribers connected
 * and held idle; memory read again; then every process publishes into its channel on the same
 * schedule (its own subscribers get its publications: the embedded broker shares nothing across
 * processes). Everything started here is stopped here, whatever happens.
 */
export async function runScale(kind: ScaleServerKind, ctx: ScaleContext): Promise<ScaleRun> {
  const o = ctx.options;
  const servers: ServerProcess[] = [];
  let fleet: LoadFleet | undefined;
  try {
    for (let i = 0; i < ctx.processes; i++) servers.push(await startServer(kind, ctx.cpu, ctx.childLifetimeMs, { port: ctx.port }, `${kind === 'raw' ? 'raw-uws' : kind}-${i}`));
    const baseline = await Promise.all(servers.map((s) => settledRssKiB(s)));
    ctx.log(`    ${servers.length} processes listening on 127.0.0.1:${ctx.port}; RSS ${fmtMiB(sum(baseline))} before any connection`);

    const t0 = performance.now();
    fleet = await LoadFleet.start({
      workers: ctx.workers,
      subscribers: o.subscribers,
      mode: kind,
      port: ctx.port,
      channels: [CHANNEL],
      sourceAddresses: ctx.sourceAddresses,
      perAddress: ctx.perAddress,
      cpu: ctx.cpu,
      maxLifetimeMs: ctx.childLifetimeMs,
    });
    await fleet.waitAllSubscribed(kind, o.subscribers, ctx.log);
    const connectSeconds = (performance.now() - t0) / 1000;
    const counts = await Promise.all(servers.map(async (s) => (await s.child.request('counts', null, 10_000)).connections));
    ctx.log(`    ${o.subscribers} subscribed in ${connectSeconds.toFixed(1)} s; connections per process ${counts.join(' / ')}; holding them idle ${o.holdMs / 1000} s`);

    await sleep(o.holdMs);
    const held = await fleet.status();
    const idle = await Promise.all(servers.map((s) => settledRssKiB(s)));
    const kibPerConnection = (sum(idle) - sum(baseline)) / o.subscribers;
    ctx.log(`    after the hold: ${held.open} open; RSS ${fmtMiB(sum(baseline))} -> ${fmtMiB(sum(idle))} (${kibPerConnection.toFixed(2)} KiB/connection)`);

    const target = { servers, subscribersOf: (s: number) => counts[s] ?? 0 };
    const spec = (durationMs: number): PhaseSpec => ({ ratePerChannel: o.rate, durationMs, channels: [CHANNEL], tickMs: 10, drainMaxMs: 5000 });
    await runPhase(target, fleet, spec(WARMUP_MS));
    const publish = await runPhase(target, fleet, spec(o.publishMs));
    ctx.log(`    publish: ${publish.receivedTotal.toLocaleString('en-US')} of ${publish.expected.toLocaleString('en-US')} delivered (${(publish.deliveryRatio * 100).toFixed(2)} %), p50 ${publish.p50Ms.toFixed(2)} ms, p99 ${publish.p99Ms.toFixed(2)} ms, servers' cpu ${publish.serverCpuPct.toFixed(0)} %, load ${publish.loadCpuPct.toFixed(0)} %`);
    const end = await fleet.snapshot(false);
    return {
      kind,
      subscribers: o.subscribers,
      processes: servers.map((s, i) => ({ pid: s.pid, connections: counts[i] ?? 0, baselineKiB: baseline[i] ?? Number.NaN, idleKiB: idle[i] ?? Number.NaN })),
      connectSeconds,
      holdSeconds: o.holdMs / 1000,
      openAfterHold: held.open,
      baselineKiB: sum(baseline),
      idleKiB: sum(idle),
      kibPerConnection,
      pingsAnswered: end.pingsAnswered,
      closeCodes: end.closeCodes,
      publish,
    };
  } finally {
    if (fleet) await fleet.stop().catch(() => fleet?.kill());
    await Promise.all(servers.map((s) => stopServer(s)));
  }
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

export function fmtMiB(kib: number): string {
  return `${(kib / 1024).toFixed(1)} MiB`;
}
