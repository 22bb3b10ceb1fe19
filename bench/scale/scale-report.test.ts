import { describe, expect, it } from 'vitest';
import type { PhaseResult } from '../orchestrator/phase.js';
import { meetsTarget } from '../shared/ratio-table.js';
import { scaleRatioRows, scaleTable, scaleVerdict, type ScaleResults } from './scale-report.js';
import type { ScaleRun } from './scale-run.js';

function publish(p: Partial<PhaseResult>): PhaseResult {
  return {
    ratePerChannel: 2, channels: 1, subscribers: 50_000, published: 60, expected: 1_000_000, receivedInWindow: 800_000, receivedTotal: 1_000_000,
    windowS: 10, countLagMs: 1, deliveredPerS: 80_000, offeredPerS: 100_000, windowRatio: 0.8, rateRatio: 0.8, deliveryRatio: 1, p50Ms: 5, p99Ms: 40, maxMs: 60, meanMs: 8,
    serverCpuPct: 50, serverSysPct: 40, loadCpuPct: 40, loadSysPct: 20, corePct: [90, 60], otherCpuPct: 10, publisherLagMs: 3, drainMs: 200, drained: true,
    disconnects: {}, replyErrors: 0, unstamped: 0, ...p,
  };
}

function run(kind: 'supernova' | 'raw', baselineMiB: number, idleMiB: number, subscribers = 50_000, p: Partial<PhaseResult> = {}): ScaleRun {
  const per = [17_313, 16_215, subscribers - 17_313 - 16_215];
  return {
    kind, subscribers, connectSeconds: 43.2, holdSeconds: 30, openAfterHold: subscribers, pingsAnswered: 50_000, closeCodes: {},
    processes: per.map((connections, i) => ({ pid: 100 + i, connections, baselineKiB: (baselineMiB * 1024) / 3, idleKiB: (idleMiB * 1024) / 3 })),
    baselineKiB: baselineMiB * 1024, idleKiB: idleMiB * 1024, kibPerConnection: ((idleMiB - baselineMiB) * 1024) / subscribers, publish: publish(p),
  };
}

function results(runs: ScaleResults['runs']): ScaleResults {
  return {
    schema: 'supernova.scale/1', startedAt: '2026-11-27T00:00:00.000Z', finishedAt: '2026-11-27T00:05:00.000Z',
    machine: { cores: 2, maxOpenFiles: 20_000, node: 'v20', cpuPlan: 'taskset', serverProcesses: 3, loadWorkers: 3, sourceAddresses: ['127.0.0.2'], port: 40_000 },
    options: {}, runs,
  };
}

describe('scale report', () => {
  const measured = results({ supernova: run('supernova', 282, 432.5), raw: run('raw', 142, 189, 50_000, { p99Ms: 20 }) });

  it('prints memory per connection and liveness side by side with the SN/raw ratio', () => {
    const table = scaleTable(measured);
    expect(table).toMatch(/per server process\s+17313\/16215\/16472\s+17313\/16215\/16472\n/);
    expect(table).toMatch(/server RSS with N idle, MiB \(sum\)\s+432\.5\s+189\.0\s+2\.29/);
    // (432.5 - 282) MiB over 50,000 connections = 3.08 KiB; raw (189 - 142) MiB = 0.96 KiB.
    expect(table).toMatch(/KiB \/ connection\s+3\.08\s+0\.96\s+3\.20/);
    expect(table).toMatch(/latency p99 ms\s+40\.00\s+20\.00\s+2\.00/);
    expect(table).toMatch(/delivered \/ expected %\s+100\.00\s+100\.00\s*$/m);
  });

  it('judges the target on SuperNova total RSS at 50,000, and says when a run is smaller', () => {
    expect(scaleVerdict(measured)).toMatch(/50,000 held in 3 processes with 433 MiB RSS in total, 3\.08 KiB\/connection -> met$/);
    expect(scaleVerdict(results({ supernova: run('supernova', 282, 1100) }))).toMatch(/-> NOT met$/);
    expect(scaleVerdict(results({ supernova: run('supernova', 100, 130, 3000) }))).toMatch(/not the target's size \(run with --subscribers 50000\)$/);
    expect(scaleVerdict(results({ raw: run('raw', 142, 189) }))).toMatch(/not measured/);
  });

  it('gives npm run bench the Scale rows, with the 1 GiB ceiling only at the target size', () => {
    const rows = scaleRatioRows(measured);
    expect(rows.map((r) => r.metric)).toEqual(['RSS MiB (sum)', 'KiB / connection', 'delivered %', 'p99 ms']);
    expect(rows[0]).toMatchObject({ benchmark: 'scale 50,000 idle subs, 3 procs', supernova: 432.5, value: 189, limit: 1024 });
    expect(meetsTarget(rows[0]!)).toBe(true);
    expect(scaleRatioRows(results({ supernova: run('supernova', 100, 130, 3000), raw: run('raw', 50, 55, 3000) }))[0]?.limit).toBeUndefined();
  });
});
