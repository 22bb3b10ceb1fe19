import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { BenchChild } from '../orchestrator/bench-child.js';
import type { CpuPlan } from '../orchestrator/cpu-plan.js';
import { CpuMeter } from '../orchestrator/proc-stats.js';
import { LatencyHistogram } from '../shared/latency-histogram.js';
import type { PublisherRpc } from '../shared/publisher-protocol.js';
import type { StreamEngineRpc } from './engine-child.js';
import type { StreamBenchOptions } from './options.js';
import type { ReaderArgs, ReaderRpc, ReaderSnapshot, ReaderStatus, Transport } from './reader-protocol.js';

export interface PhaseContext {
  options: StreamBenchOptions;
  cpu: CpuPlan;
  host: string;
  port: number;
  channel: string;
  engine: BenchChild<StreamEngineRpc>;
  publisher: BenchChild<PublisherRpc>;
  maxLifetimeMs: number;
}

export interface PhaseResult {
  transport: Transport;
  sessions: number;
  /** Sessions subscribed before publishing began (the rest failed to open). */
  subscribed: number;
  rampMs: number;
  /** Publications the engine accepted: what every session should receive. */
  published: number;
  publishMs: number;
  received: number;
  expected: number;
  deliveryPct: number;
  sessionsComplete: number;
  /** Sessions whose stamp checksum is the most common one: they received the same publications. */
  sessionsSameSet: number;
  sessionsShort: number;
  sessionsOver: number;
  minPerSession: number;
  maxPerSession: number;
  unstamped: number;
  nonIncreasing: number;
  lost: number;
  /** From the publisher's last publication to the last expected receipt (or the drain limit). */
  drainMs: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** % of one core over the window: the engine, the readers together, the publisher; each core's busy %. */
  engineCpuPct: number;
  readersCpuPct: number;
  publisherCpuPct: number;
  corePct: number[];
  engineLoopDelayP99Ms: number;
  engineLoopDelayMaxMs: number;
  readerLoopDelayP99Ms: number;
  readerLoopDelayMaxMs: number;
  publishAckP99Ms: number;
  problems: string[];
}

const READER_SCRIPT = fileURLToPath(new URL('./reader-worker.js', import.meta.url));
const RPC_MS = 15_000;
/** Quiet time after the ramp, so the subscribe work and its garbage are behind the window. */
const SETTLE_MS = 1500;
/** Longest the readers may take after the last publication to receive what is due. */
const DRAIN_LIMIT_MS = 15_000;
/** How many sessions connect at once, all readers together. */
const IN_FLIGHT = 200;

/**
 * One transport's measurement: its reader processes open every session at the ramp's rate and
 * all subscribe before anything is published; then the publisher publishes for the set time, the
 * readers get until every publication reached every session (or the drain limit), and the
 * per-session counts say whether each session got each publication exactly once.
 */
export async function measureTransport(ctx: PhaseContext, transport: Transport): Promise<PhaseResult> {
  const o = ctx.options;
  const readers: BenchChild<ReaderRpc>[] = [];
  try {
    for (let r = 0; r < o.readers; r++) {
      const args: ReaderArgs = { maxLifetimeMs: ctx.maxLifetimeMs };
      const { child } = await BenchChild.spawn<ReaderRpc, unknown>({
        label: `${transport}-reader-${r}`, script: READER_SCRIPT, args, cpus: ctx.cpu.loadCpus, tasksetPath: ctx.cpu.tasksetPath, nodeFlags: [], readyTimeoutMs: 15_000,
      });
      readers.push(child);
    }
    const counts = readers.map((_, r) => Math.floor(o.sessions / readers.length) + (r < o.sessions % readers.length ? 1 : 0));
    const rampStart = performance.now();
    await Promise.all(readers.map((reader, r) => reader.request('open', {
      transport, host: ctx.host, port: ctx.port, channel: ctx.channel, count: counts[r] ?? 0,
      openPerSecond: o.ramp / readers.length, maxInFlight: Math.max(1, Math.floor(IN_FLIGHT / readers.length)), handshakeTimeoutMs: 15_000,
    }, RPC_MS)));
    const status = await waitOpened(readers, o.sessions, (o.sessions / o.ramp) * 1000 * 3 + 30_000);
    const rampMs = performance.now() - rampStart;
    process.stderr.write(`  ${transport}: ${status.subscribed}/${o.sessions} subscribed in ${(rampMs / 1000).toFixed(1)} s${status.failed > 0 ? `, ${status.failed} failed` : ''}\n`);
    await sleep(SETTLE_MS);
    await Promise.all(readers.map((reader) => reader.request('reset', null, RPC_MS)));

    await ctx.engine.request('loopDelay', { reset: true }, RPC_MS);
    const meter = new CpuMeter([ctx.engine.pid, ctx.publisher.pid, ...readers.map((r) => r.pid)]);
    const outcome = await ctx.publisher.request('publish', { ratePerChannel: o.rate, durationMs: o.seconds * 1000, channels: [ctx.channel], tickMs: 10 }, o.seconds * 1000 + 60_000);
    const publishedAt = performance.now();
    const ack = await ctx.publisher.request('stats', null, RPC_MS);
    const expected = outcome.published * status.subscribed;
    let received = 0;
    while (performance.now() - publishedAt < DRAIN_LIMIT_MS) {
      received = (await Promise.all(readers.map((reader) => reader.request('received', null, RPC_MS)))).reduce((a, b) => a + b, 0);
      if (received >= expected) break;
      await sleep(100);
    }
    const drainMs = performance.now() - publishedAt;
    const cpu = meter.read();
    const engineLoop = await ctx.engine.request('loopDelay', { reset: false }, RPC_MS);
    const snaps = await Promise.all(readers.map((reader) => reader.request('snapshot', { expected: outcome.published }, RPC_MS)));
    return summarize(transport, o.sessions, status, rampMs, outcome.published, outcome.elapsedMs, drainMs, snaps, {
      engineCpuPct: cpu.processPct.get(ctx.engine.pid)?.pct ?? Number.NaN,
      publisherCpuPct: cpu.processPct.get(ctx.publisher.pid)?.pct ?? Number.NaN,
      readersCpuPct: readers.reduce((sum, r) => sum + (cpu.processPct.get(r.pid)?.pct ?? Number.NaN), 0),
      corePct: cpu.corePct,
      engineLoopDelayP99Ms: engineLoop.p99Ms,
      engineLoopDelayMaxMs: engineLoop.maxMs,
      publishAckP99Ms: ack.ackP99Ms,
      problems: [...status.problems, ...ack.problems],
    });
  } finally {
    await Promise.all(readers.map(async (reader) => {
      await reader.request('stop', null, RPC_MS).catch(() => {});
      await reader.waitExit(5000);
    }));
  }
}

/** Polls until every session is subscribed or failed; throws when that takes longer than `limitMs`. */
async function waitOpened(readers: BenchChild<ReaderRpc>[], sessions: number, limitMs: number): Promise<ReaderStatus> {
  const deadline = performance.now() + limitMs;
  for (;;) {
    const all = await Promise.all(readers.map((reader) => reader.request('status', null, RPC_MS)));
    const sum: ReaderStatus = { started: 0, subscribed: 0, failed: 0, lost: 0, problems: [] };
    for (const s of all) {
      sum.started += s.started;
      sum.subscribed += s.subscribed;
      sum.failed += s.failed;
      sum.lost += s.lost;
      sum.problems.push(...s.problems);
    }
    if (sum.subscribed + sum.failed >= sessions) return sum;
    if (performance.now() > deadline) throw new Error(`only ${sum.subscribed}/${sessions} sessions subscribed after ${limitMs} ms (${sum.failed} failed): ${sum.problems.join('; ')}`);
    await sleep(250);
  }
}

type Measured = Pick<PhaseResult, 'engineCpuPct' | 'publisherCpuPct' | 'readersCpuPct' | 'corePct' | 'engineLoopDelayP99Ms' | 'engineLoopDelayMaxMs' | 'publishAckP99Ms' | 'problems'>;

function summarize(transport: Transport, sessions: number, status: ReaderStatus, rampMs: number, published: number, publishMs: number, drainMs: number, snaps: ReaderSnapshot[], m: Measured): PhaseResult {
  const h = new LatencyHistogram();
  for (const s of snaps) h.merge(s.histogram);
  const sum = (f: (s: ReaderSnapshot) => number) => snaps.reduce((a, s) => a + f(s), 0);
  const received = sum((s) => s.received);
  const expected = published * status.subscribed;
  const bySum = new Map<number, number>();
  for (const s of snaps) for (const [sum, n] of s.checksums) bySum.set(sum, (bySum.get(sum) ?? 0) + n);
  return {
    transport, sessions, subscribed: status.subscribed, rampMs, published, publishMs, received, expected,
    deliveryPct: expected === 0 ? 0 : (received / expected) * 100,
    sessionsComplete: sum((s) => s.complete), sessionsSameSet: Math.max(0, ...bySum.values()), sessionsShort: sum((s) => s.short), sessionsOver: sum((s) => s.over),
    minPerSession: Math.min(...snaps.map((s) => s.minPerSession)), maxPerSession: Math.max(...snaps.map((s) => s.maxPerSession)),
    unstamped: sum((s) => s.unstamped), nonIncreasing: sum((s) => s.nonIncreasing), lost: sum((s) => s.lost), drainMs,
    p50Ms: h.percentileUs(50) / 1000, p99Ms: h.percentileUs(99) / 1000, p999Ms: h.percentileUs(99.9) / 1000, maxMs: h.maxValueUs / 1000,
    ...m,
    readerLoopDelayP99Ms: Math.max(...snaps.map((s) => s.loopDelayP99Ms)), readerLoopDelayMaxMs: Math.max(...snaps.map((s) => s.loopDelayMaxMs)),
    problems: [...m.problems, ...snaps.flatMap((s) => s.problems)].slice(0, 10),
  };
}
