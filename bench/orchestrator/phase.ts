import type { LoadFleet } from './load-fleet.js';
import { sleep } from './load-fleet.js';
import type { ServerProcess } from './server-process.js';
import { CpuMeter, type ProcessCpu } from './proc-stats.js';
import type { PublishOutcome, PublishPlan } from '../shared/server-protocol.js';

export interface PhaseSpec {
  ratePerChannel: number;
  durationMs: number;
  channels: string[];
  tickMs: number;
  /** Longest wait after publishing for messages still in flight. */
  drainMaxMs: number;
}

export interface PhaseResult {
  ratePerChannel: number;
  channels: number;
  subscribers: number;
  published: number;
  /** Messages the subscribers should get: each publication times its channel's subscribers. */
  expected: number;
  /** Received while the publisher ran. */
  receivedInWindow: number;
  /** Received by the end of the drain wait. */
  receivedTotal: number;
  windowS: number;
  /**
   * How long the in-window count took to come back. A load process far behind its sockets
   * answers late, and its count then covers that much more than the window.
   */
  countLagMs: number;
  /** receivedInWindow / windowS: the delivered rate the system kept up with. */
  deliveredPerS: number;
  offeredPerS: number;
  /** receivedInWindow / expected. */
  windowRatio: number;
  /**
   * deliveredPerS / offeredPerS: "delivered / expected" of the saturation criterion. A rate ratio,
   * not a count ratio, because an overloaded server also publishes late: the count would still
   * come out whole while the rate the subscribers actually saw fell.
   */
  rateRatio: number;
  /** receivedTotal / expected: below 1 means messages were lost, not just late. */
  deliveryRatio: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  serverCpuPct: number;
  serverSysPct: number;
  loadCpuPct: number;
  loadSysPct: number;
  corePct: number[];
  /**
   * Busy time of all cores (in % of one core) not accounted to the server, the load workers or the
   * orchestrator: unrelated processes and kernel time charged to nobody. High means a noisy machine.
   */
  otherCpuPct: number;
  publisherLagMs: number;
  drainMs: number;
  drained: boolean;
  /** Subscribers the server closed during the phase, by close code. */
  disconnects: Record<string, number>;
  replyErrors: number;
  unstamped: number;
  /** This is a second measurement: the first was disturbed by other processes. */
  repeatedAfterNoise?: boolean;
}

/** A process that runs a phase's publisher loop: a server child, or a publisher outside the servers. */
export interface PhasePublisher {
  pid: number;
  child: { request(method: 'publish', params: PublishPlan, timeoutMs: number): Promise<PublishOutcome> };
}

/**
 * Who publishes in a phase: one server process, or several sharing a port (each with its own
 * publisher loop, started together), and how many subscribers each one's publications reach.
 */
export interface PhaseTarget {
  servers: PhasePublisher[];
  subscribersOf(server: number, channel: number): number;
  /**
   * The processes metered as the server side when the publishers are not the servers (nodes fed
   * by an outside publisher); the publishers are then metered with the load.
   */
  serverPids?: number[];
}

/** One server: its publications reach every subscriber of their channel. */
export function oneServer(server: ServerProcess, fleet: LoadFleet): PhaseTarget {
  return { servers: [server], subscribersOf: (_, c) => fleet.subscribersPerChannel[c] ?? 0 };
}

/**
 * One publish phase: zero the counters, let the server(s) publish for the duration, read what
 * arrived in that window, then wait (bounded) for stragglers so latency includes late messages.
 */
export async function runPhase(target: PhaseTarget, fleet: LoadFleet, spec: PhaseSpec): Promise<PhaseResult> {
  const publisherPids = target.servers.map((s) => s.pid);
  const serverPids = target.serverPids ?? publisherPids;
  const loadPids = target.serverPids ? [...fleet.pids, ...publisherPids] : fleet.pids;
  const before = await fleet.snapshot(false);
  await fleet.reset();
  const meter = new CpuMeter([...serverPids, ...loadPids, process.pid]);
  const t0 = performance.now();
  const plan = { ratePerChannel: spec.ratePerChannel, durationMs: spec.durationMs, channels: spec.channels, tickMs: spec.tickMs };
  // A server far below the offered load (ws, Socket.IO) still publishes all of it, late: its loop
  // catches up in one long burst after the window (10,000 subscribers at 100/s on ws: about a
  // minute for an 8 s phase), so the answer may take many times the phase.
  const outcomes = await Promise.all(target.servers.map((s) => s.child.request('publish', plan, spec.durationMs * 10 + 60_000)));
  const windowS = (performance.now() - t0) / 1000;
  const cpu = meter.read();
  const countAsked = performance.now();
  const inWindow = await fleet.snapshot(false);
  const countLagMs = performance.now() - countAsked;

  let expected = 0;
  outcomes.forEach((o, s) => o.perChannel.forEach((n, c) => (expected += n * target.subscribersOf(s, c))));
  // Stragglers: stop when all arrived, when nothing moved for 400 ms, or at the bound.
  const drainStart = performance.now();
  let last = inWindow.received;
  let still = 0;
  let drained = last >= expected;
  while (!drained && performance.now() - drainStart < spec.drainMaxMs) {
    await sleep(200);
    const now = (await fleet.snapshot(false)).received;
    if (now >= expected) drained = true;
    else if (now === last) still++;
    else still = 0;
    if (still >= 2) break;
    last = now;
  }
  const drainMs = performance.now() - drainStart;
  const end = await fleet.snapshot(true);

  const h = end.histogram;
  const disconnects: Record<string, number> = {};
  for (const [code, n] of Object.entries(end.closeCodes)) {
    const delta = n - (before.closeCodes[code] ?? 0);
    if (delta > 0) disconnects[code] = delta;
  }
  const sumOf = (pids: number[], key: keyof ProcessCpu) => pids.reduce((sum, pid) => sum + (cpu.processPct.get(pid)?.[key] ?? 0), 0);
  const ours = [...cpu.processPct.values()].reduce((a, b) => a + (Number.isFinite(b.pct) ? b.pct : 0), 0);
  const otherCpuPct = Math.max(0, cpu.corePct.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0) - ours);
  const subscribers = fleet.subscribersPerChannel.reduce((a, b) => a + b, 0);
  return {
    ratePerChannel: spec.ratePerChannel,
    channels: spec.channels.length,
    subscribers,
    published: outcomes.reduce((a, o) => a + o.published, 0),
    expected,
    receivedInWindow: inWindow.received,
    receivedTotal: end.received,
    windowS,
    countLagMs,
    deliveredPerS: inWindow.received / windowS,
    offeredPerS: expected / (spec.durationMs / 1000),
    windowRatio: expected > 0 ? inWindow.received / expected : 0,
    rateRatio: expected > 0 ? inWindow.received / windowS / (expected / (spec.durationMs / 1000)) : 0,
    deliveryRatio: expected > 0 ? end.received / expected : 0,
    p50Ms: h.percentileUs(50) / 1000,
    p99Ms: h.percentileUs(99) / 1000,
    maxMs: h.maxValueUs / 1000,
    meanMs: h.meanUs / 1000,
    serverCpuPct: sumOf(serverPids, 'pct'),
    serverSysPct: sumOf(serverPids, 'sysPct'),
    loadCpuPct: sumOf(loadPids, 'pct'),
    loadSysPct: sumOf(loadPids, 'sysPct'),
    corePct: cpu.corePct,
    otherCpuPct,
    publisherLagMs: Math.max(...outcomes.map((o) => o.maxTickLagMs)),
    drainMs,
    drained: end.received >= expected,
    disconnects,
    replyErrors: end.replyErrors - before.replyErrors,
    unstamped: end.unstamped,
  };
}
