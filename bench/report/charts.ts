import type { TopLevelSpec } from 'vega-lite';
import type { LoadtestResult } from '../loadtest/result.js';
import type { LoadRunResult } from '../loadtest/run-load.js';

/** A chart of a report: its file name (without extension), title and vega-lite spec. */
export interface ChartSpec {
  name: string;
  title: string;
  spec: TopLevelSpec;
}

const WIDTH = 640;
const HEIGHT = 240;

function lines(title: string, values: Record<string, unknown>[], x: string, xTitle: string, yTitle: string, logY = false): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: WIDTH,
    height: HEIGHT,
    background: 'white',
    data: { values },
    mark: { type: 'line', point: values.length <= 40 },
    encoding: {
      x: { field: x, type: 'quantitative', title: xTitle },
      y: { field: 'value', type: 'quantitative', title: yTitle, ...(logY ? { scale: { type: 'symlog' } } : {}) },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}

/** Long format (one row per point and series), which vega-lite colours by series. */
function melt<T extends object>(rows: readonly T[], x: (r: T) => number, series: Record<string, (r: T) => number | undefined>): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const r of rows) {
    for (const [name, get] of Object.entries(series)) {
      const v = get(r);
      if (v !== undefined && Number.isFinite(v)) out.push({ x: x(r), series: name, value: v });
    }
  }
  return out;
}

/** Latency buckets regrouped into log-spaced bins (4 per power of ten), as share of samples. */
export function histogramBins(buckets: readonly [number, number][]): { fromMs: number; toMs: number; share: number }[] {
  const total = buckets.reduce((a, [, c]) => a + c, 0);
  if (total === 0) return [];
  const bins = new Map<number, number>();
  for (const [ms, c] of buckets) {
    const k = Math.floor(Math.log10(Math.max(ms, 0.001)) * 4);
    bins.set(k, (bins.get(k) ?? 0) + c);
  }
  return [...bins.entries()].sort((a, b) => a[0] - b[0]).map(([k, c]) => ({ fromMs: 10 ** (k / 4), toMs: 10 ** ((k + 1) / 4), share: (c / total) * 100 }));
}

/** The five charts of one load run. */
export function runCharts(prefix: string, label: string, run: LoadRunResult): ChartSpec[] {
  const tl = run.timeline;
  const t = (p: { t: number }) => p.t;
  const charts: ChartSpec[] = [
    {
      name: `${prefix}-latency-over-time`,
      title: `${label}: latency over time`,
      spec: lines(`${label}: latency over time (per second)`, melt(tl, t, {
        'response p50': (p) => p.responseP50Ms,
        'response p99': (p) => p.responseP99Ms,
        'delivery p50': (p) => p.deliveryP50Ms,
        'delivery p99': (p) => p.deliveryP99Ms,
      }), 'x', 'seconds', 'ms', true),
    },
    {
      name: `${prefix}-latency-histogram`,
      title: `${label}: latency histogram`,
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        title: `${label}: latency histogram (share of samples)`,
        width: WIDTH,
        height: HEIGHT,
        background: 'white',
        data: { values: [
          ...histogramBins(run.histograms.response).map((b) => ({ ...b, series: 'response' })),
          ...histogramBins(run.histograms.delivery).map((b) => ({ ...b, series: 'delivery' })),
        ] },
        mark: { type: 'rect', opacity: 0.55 },
        encoding: {
          x: { field: 'fromMs', type: 'quantitative', title: 'ms (log)', scale: { type: 'log' } },
          x2: { field: 'toMs' },
          y: { field: 'share', type: 'quantitative', title: '% of samples' },
          y2: { datum: 0 },
          color: { field: 'series', type: 'nominal', title: null },
        },
      },
    },
    {
      name: `${prefix}-throughput`,
      title: `${label}: throughput`,
      spec: lines(`${label}: throughput`, melt(tl, t, { 'requests/s': (p) => p.requestsPerS, 'messages/s': (p) => p.messagesPerS }), 'x', 'seconds', 'per second'),
    },
    {
      name: `${prefix}-server-memory`,
      title: `${label}: server memory`,
      spec: lines(`${label}: server memory`, melt(tl, t, { 'RSS MiB': (p) => p.serverRssMiB, 'heap used MiB': (p) => p.serverHeapMiB }), 'x', 'seconds', 'MiB'),
    },
    {
      name: `${prefix}-connections`,
      title: `${label}: connections`,
      spec: lines(`${label}: connections`, melt(tl, t, { 'users connected': (p) => p.connectedUsers, 'server connections': (p) => p.serverConnections }), 'x', 'seconds', 'connections'),
    },
  ];
  return charts;
}

/** Every chart of a result: each run's five, plus the stress test's breaking-point curve. */
export function resultCharts(r: LoadtestResult): ChartSpec[] {
  const out: ChartSpec[] = [];
  if (r.load) out.push(...runCharts('load', r.command === 'quick' ? 'Quick load' : 'Async load', r.load));
  if (r.stress && r.stress.steps.length > 0) {
    const steps = r.stress.steps.map((s) => ({ ...s, offered: s.users * s.ratePerUser }));
    out.push({
      name: 'stress-breaking-point',
      title: 'Stress: breaking-point curve',
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        title: `Stress: p99 and errors by offered load (limits p99 ${r.stress.limits.maxP99Ms} ms, errors ${r.stress.limits.maxErrorRate * 100} %)`,
        width: WIDTH,
        height: HEIGHT,
        background: 'white',
        data: { values: melt(steps, (s) => s.offered, { 'p99 ms': (s) => s.p99Ms, 'error %': (s) => s.errorRate * 100, 'limit p99 ms': () => r.stress?.limits.maxP99Ms }) },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: 'offered requests/s (users x rate)', scale: { type: 'log' } },
          y: { field: 'value', type: 'quantitative', title: 'ms / %', scale: { type: 'symlog' } },
          color: { field: 'series', type: 'nominal', title: null },
        },
      },
    });
  }
  if (r.endurance) out.push(...runCharts('endurance', 'Endurance', r.endurance.run));
  if (r.memoryLeak) {
    out.push({
      name: 'memory-leak-samples',
      title: 'Memory leak: server RSS and heap',
      spec: lines(`Memory leak: server memory over time (verdict: ${r.memoryLeak.verdict.verdict})`, melt(r.memoryLeak.samples, (s) => s.t, { 'RSS MiB': (s) => s.rssMiB, 'heap used MiB': (s) => s.heapMiB }), 'x', 'seconds', 'MiB'),
    });
  }
  return out;
}
