import { describe, expect, it } from 'vitest';
import type { PhaseResult } from '../orchestrator/phase.js';
import type { ApiPublisherStats } from '../shared/publisher-protocol.js';
import { noiseWarnings, pairTable, pairVerdicts, spreadTable, spreadVerdict } from './cluster-report.js';
import type { PairPhase, PairRun } from './pair-run.js';
import type { SpreadRun } from './spread-run.js';

function phase(p: Partial<PhaseResult>): PhaseResult {
  return {
    ratePerChannel: 50, channels: 1, subscribers: 5000, published: 750, expected: 3_750_000, receivedInWindow: 3_700_000, receivedTotal: 3_750_000,
    windowS: 15, countLagMs: 1, deliveredPerS: 246_000, offeredPerS: 250_000, windowRatio: 0.98, rateRatio: 0.98, deliveryRatio: 1, p50Ms: 2, p99Ms: 10, maxMs: 30, meanMs: 3,
    serverCpuPct: 40, serverSysPct: 20, loadCpuPct: 50, loadSysPct: 20, corePct: [60, 70], otherCpuPct: 5, publisherLagMs: 2, drainMs: 100, drained: true,
    disconnects: {}, replyErrors: 0, unstamped: 0, ...p,
  };
}

const publisher: ApiPublisherStats = { sent: 750, ok: 750, failed: 0, skipped: 0, ackP50Ms: 1, ackP99Ms: 3, ackMaxMs: 5, maxQueued: 0, problems: [] };

function pairPhase(p: Partial<PhaseResult>, nodeCpuPct: number[]): PairPhase {
  return { ...phase(p), publisher, nodeCpuPct, redisCpuPct: nodeCpuPct.length > 1 ? 8 : Number.NaN, softirqPct: 10 };
}

function pair(setup: 'single' | 'cross', latencyP99: number, throughput: number): PairRun {
  const cpu = setup === 'single' ? [40] : [30, 12];
  return {
    setup, subscribers: 5000, connectSeconds: 2.5, closeCodes: {},
    nodes: cpu.map((_, i) => ({ role: setup === 'single' ? 'single' : i === 0 ? 'A' : 'B', pid: 10 + i, connections: i === 0 ? 5000 : 0, rssKiB: 120 * 1024 })),
    // Three rounds: the median decides, however far off one round is.
    latency: [pairPhase({ p99Ms: latencyP99 + 1 }, cpu), pairPhase({ p99Ms: latencyP99 }, cpu), pairPhase({ p99Ms: latencyP99 * 10, otherCpuPct: 90 }, cpu)],
    throughput: pairPhase({ ratePerChannel: 1000, offeredPerS: 5_000_000, deliveredPerS: throughput, p99Ms: 300 }, cpu),
  };
}

function spread(kind: 'supernova' | 'raw', deliveryRatio: number, subscribers = 50_000): SpreadRun {
  const per = [16_667, 16_667, 16_666];
  return {
    kind, subscribers, connectSeconds: 40, openAfter: subscribers, closeCodes: {},
    phase: {
      ...phase({ ratePerChannel: 10, subscribers, published: kind === 'raw' ? 900 : 300, deliveryRatio, p99Ms: kind === 'raw' ? 200 : 250 }),
      redisCpuPct: 3,
      softirqPct: 12,
      scheduled: 300,
      nodes: per.map((connections, i) => ({ pid: i, connections, baselineKiB: 90 * 1024, idleKiB: 140 * 1024, peakKiB: 150 * 1024, cpuPct: 20, expected: 300 * connections, received: 300 * connections * deliveryRatio, p50Ms: 50, p99Ms: 240 + i })),
    },
  };
}

describe('cluster report', () => {
  it('judges cross-node p99 against single-node p99 + 5 ms, and throughput against 0.7x, saying by how much a miss misses', () => {
    expect(pairVerdicts(pair('single', 10, 2_000_000), pair('cross', 14.5, 1_500_000))).toEqual([
      'cross-node p99 <= single-node p99 + 5 ms (median of 3 latency rounds each, 250,000 msgs/s offered): 15.50 ms against 11.00 + 5 = 16.00 ms -> met',
      'cross-node throughput >= 0.7x single-node (throughput phase, 5,000,000 msgs/s offered to both): 1,500,000 against 2,000,000 msgs/s = 0.75x -> met',
    ]);
    const missed = pairVerdicts(pair('single', 10, 2_000_000), pair('cross', 21, 1_000_000));
    expect(missed[0]).toMatch(/-> NOT met, by 6\.00 ms$/);
    expect(noiseWarnings({ schema: 'supernova.cluster/1', startedAt: '', finishedAt: '', machine: { cores: 2, maxOpenFiles: 20_000, node: 'v20', cpuPlan: '', redis: '', redisLocal: true }, options: {}, publishVia: '', verdicts: [], pair: { single: pair('single', 10, 1), cross: pair('cross', 10, 1) } })).toEqual([]);
    expect(missed[1]).toMatch(/= 0\.50x -> NOT met, by 0\.20x$/);
  });

  it('prints both setups side by side with the offered load from the schedule and each node\'s CPU', () => {
    const table = pairTable(pair('single', 10, 2_000_000), pair('cross', 14.5, 1_500_000));
    expect(table).toMatch(/latency, median of 3: 50\/s, offered msgs\/s\s+250,000\s+250,000\n/);
    expect(table).toMatch(/p99 of each round ms\s+11\.0 10\.0 100\.0\s+15\.5 14\.5 145\.0\n/);
    expect(table).toMatch(/throughput phase: 1000\/s, offered msgs\/s\s+5,000,000\s+5,000,000\n/);
    expect(table).toMatch(/publish-to-receipt p99 ms\s+11\.00\s+15\.50\s+\+4\.50 ms \*\n/);
    expect(table).toMatch(/delivered msgs\/s \(while publishing\)\s+2,000,000\s+1,500,000\s+0\.75x \*\n/);
    expect(table).toMatch(/nodes cpu % of a core\s+40\s+30 \+ 12 = 42\n/);
  });

  it('judges the spread on delivered share at 50,000 subscribers, and says when a run is smaller', () => {
    expect(spreadVerdict(spread('supernova', 0.995))).toMatch(/50,000 subscribers, 99\.50 % delivered, p99 250\.0 ms -> met$/);
    expect(spreadVerdict(spread('supernova', 0.97))).toMatch(/-> NOT met, by 2\.00 points$/);
    expect(spreadVerdict({ ...spread('supernova', 0.955), openAfter: 42_489, closeCodes: { 3012: 7511 } })).toMatch(/95\.50 % delivered, p99 250\.0 ms, 42,489 still connected \(closed by the nodes: 7511 with 3012\) -> NOT met, by 3\.50 points$/);
    expect(spreadVerdict(spread('supernova', 1, 3000))).toMatch(/not the target's size \(run with --spread-subscribers 50000\)$/);
    const table = spreadTable(spread('supernova', 1), spread('raw', 1));
    expect(table).toMatch(/per process\s+16667 \/ 16667 \/ 16666\s+16667 \/ 16667 \/ 16666\n/);
    expect(table).toMatch(/publications accepted of scheduled\s+300 of 300\s+300 of 300 each\n/);
    expect(table).toMatch(/p99 per process ms\s+240\.0 \/ 241\.0 \/ 242\.0/);
    expect(table).toMatch(/RSS per process idle, MiB\s+140\.0 \/ 140\.0 \/ 140\.0/);
  });
});
