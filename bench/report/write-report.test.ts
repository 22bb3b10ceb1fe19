import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findBreakingPoint, stressLadder, DEFAULT_STRESS_LIMITS } from '../loadtest/analysis/breaking-point.js';
import { leakVerdict } from '../loadtest/analysis/leak-verdict.js';
import { stability } from '../loadtest/analysis/stability.js';
import { newResult, type LoadtestResult } from '../loadtest/result.js';
import type { LoadRunResult } from '../loadtest/run-load.js';
import type { TimelinePoint } from '../loadtest/recorder.js';
import { histogramBins } from './charts.js';
import { writeReport } from './write-report.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function fakeRun(name: string, seconds: number): LoadRunResult {
  const timeline: TimelinePoint[] = Array.from({ length: seconds }, (_, i) => ({
    t: i + 1, requestsPerS: 100 + i, messagesPerS: 1000 + 10 * i, errors: 0, connectedUsers: Math.min(50, 10 * (i + 1)),
    responseP50Ms: 1 + i / 100, responseP99Ms: 5 + i / 10, deliveryP50Ms: 1.2, deliveryP99Ms: 6, serverRssMiB: 80 + (i % 3), serverHeapMiB: 20, serverConnections: Math.min(50, 10 * i),
  }));
  const latency = { count: 1000, avgMs: 1.5, p50Ms: 1, p95Ms: 4, p99Ms: 6, maxMs: 20 };
  return {
    name,
    spec: { name, users: 50, durationMs: seconds * 1000, rampUpMs: 1000, ratePerUser: 2, rpcRatio: 0.2, usersPerChannel: 10, client: 'sdk', requestTimeoutMs: 5000, maxInFlightPerUser: 32 },
    startedAt: new Date().toISOString(),
    interrupted: false,
    summary: { requests: 1000, messages: 8000, errors: 0, errorsByKind: {}, response: latency, delivery: latency, durationS: seconds, requestsPerS: 100, messagesPerS: 800, errorRate: 0, usersAttempted: 50, usersConnected: 50, usersFailed: 0 },
    timeline,
    histograms: { response: [[0.5, 10], [1, 600], [4, 300], [20, 90]], delivery: [[0.6, 5], [1.1, 700], [6, 295]] },
  };
}

/** Width and height from the IHDR chunk, which always follows the signature. */
function pngSize(png: Buffer): { width: number; height: number } {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('report generation', () => {
  it('writes JSON, a self-contained HTML page with inline SVG charts, and valid PNGs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sn-report-'));
    dirs.push(dir);
    const ladder = stressLadder({ users: 10, ratePerUser: 1 }, { usersFactor: 2, rateFactor: 1.5, maxUsers: 1000, steps: 5 });
    const found = await findBreakingPoint(ladder, async (l, i) => ({ ...l, requestsPerS: l.users * l.ratePerUser, messagesPerS: l.users * l.ratePerUser * 10, p99Ms: 10 * 4 ** i, errorRate: 0 }));
    const leakRun = fakeRun('memory leak', 20);
    const samples = leakRun.timeline.map((p) => ({ t: p.t, rssMiB: 80 + p.t * 2, heapMiB: 20 + p.t, connections: 50 }));
    const result: LoadtestResult = {
      ...newResult('comprehensive', { users: 50 }, { wsUrl: 'ws://127.0.0.1:1/connection/websocket', startedBySuite: true, apiKey: undefined }, 'not pinned'),
      finishedAt: new Date().toISOString(),
      load: fakeRun('async load', 30),
      stress: { ...found, limits: DEFAULT_STRESS_LIMITS, ladder, runs: [] },
      endurance: { run: fakeRun('endurance', 30), stability: stability(fakeRun('endurance', 30).timeline, 0) },
      memoryLeak: { run: leakRun, samples, verdict: leakVerdict(samples) },
    };
    const written = await writeReport(result, dir);

    const json = JSON.parse(await readFile(written.json, 'utf8')) as LoadtestResult;
    expect(json.stress?.breakingPoint?.users).toBe(result.stress?.breakingPoint?.users);
    expect(json.memoryLeak?.verdict.verdict).toBe('leak');

    const html = await readFile(written.html, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    // 5 charts per run (load, endurance), the breaking-point curve, the leak samples.
    expect(html.match(/<svg[\s>]/g)?.length).toBe(12);
    expect(html).not.toMatch(/<script|src="http|href="http/);
    expect(html).toContain('Stress');
    expect(html).toContain('Memory leak: leak');

    expect(written.pngs).toHaveLength(12);
    expect(written.pngs.map((p) => p.split('/').pop())).toContain('stress-breaking-point.png');
    for (const file of written.pngs) {
      const png = await readFile(file);
      expect(png.subarray(0, 8).equals(PNG_SIGNATURE), file).toBe(true);
      const { width, height } = pngSize(png);
      // Plot 640 x 240 plus axes, legend and title, rendered at 2x.
      expect(width).toBeGreaterThan(1280);
      expect(width).toBeLessThan(2400);
      expect(height).toBeGreaterThan(480);
      expect(height).toBeLessThan(1000);
    }
  });

  it('bins latency buckets on a log scale as shares of all samples', () => {
    const bins = histogramBins([[0.5, 1], [0.55, 1], [10, 2]]);
    expect(bins).toHaveLength(2);
    expect(bins[0]?.share).toBe(50);
    expect(bins[1]?.fromMs).toBe(10);
    expect(bins.reduce((a, b) => a + b.share, 0)).toBe(100);
    expect(histogramBins([])).toEqual([]);
  });
});
