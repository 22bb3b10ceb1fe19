/** One comparison of SuperNova against one baseline on one metric. */
export interface RatioRow {
  benchmark: string;
  metric: string;
  supernova: number | undefined;
  baseline: string;
  value: number | undefined;
  /** msgs/s and req/s: higher is better; latency: lower is better. */
  higherIsBetter: boolean;
  /** The SN/baseline ratio the issue asks for (at least it, or at most it when lower is better). */
  target?: number | undefined;
  /** An absolute ceiling on SuperNova's own figure (the scale target: RSS < 1 GiB), instead of a ratio. */
  limit?: number | undefined;
}

export function ratioOf(r: RatioRow): number | undefined {
  if (r.supernova === undefined || r.value === undefined || !Number.isFinite(r.supernova) || !Number.isFinite(r.value) || r.value === 0) return undefined;
  return r.supernova / r.value;
}

/** Whether the target is met: undefined without a target or a figure. */
export function meetsTarget(r: RatioRow): boolean | undefined {
  if (r.limit !== undefined) return r.supernova === undefined || !Number.isFinite(r.supernova) ? undefined : r.supernova < r.limit;
  const ratio = ratioOf(r);
  if (r.target === undefined || ratio === undefined) return undefined;
  return r.higherIsBetter ? ratio >= r.target : ratio <= r.target;
}

const COLS = [['benchmark', 42], ['metric', 20], ['SuperNova', 13], ['baseline', 11], ['value', 13], ['SN/base', 9], ['target', 9], ['met', 5]] as const;

function fmt(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '-';
  const digits = Math.abs(v) >= 100 ? 0 : 2;
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function targetText(r: RatioRow): string {
  if (r.limit !== undefined) return `SN < ${r.limit}`;
  return r.target === undefined ? '' : `${r.higherIsBetter ? '>=' : '<='} ${r.target}x`;
}

/** The one table `npm run bench` prints: every benchmark's ratios, with the target of each. */
export function ratioTable(rows: readonly RatioRow[]): string {
  const pad = (cells: string[]) => cells.map((c, i) => (i < 2 || i === 3 ? c.padEnd(COLS[i]?.[1] ?? 8) : c.padStart(COLS[i]?.[1] ?? 8))).join(' ');
  const out = [pad(COLS.map(([h]) => h)), '-'.repeat(COLS.reduce((a, [, w]) => a + w + 1, -1))];
  let lastBench = '';
  let lastMetric = '';
  for (const r of rows) {
    const ratio = ratioOf(r);
    const met = meetsTarget(r);
    const sameBench = r.benchmark === lastBench;
    out.push(pad([
      sameBench ? '' : r.benchmark,
      sameBench && r.metric === lastMetric ? '' : r.metric,
      sameBench && r.metric === lastMetric ? '' : fmt(r.supernova),
      r.baseline,
      fmt(r.value),
      ratio === undefined ? '-' : `${ratio.toFixed(2)}x`,
      targetText(r),
      met === undefined ? '' : met ? 'yes' : 'NO',
    ]));
    lastBench = r.benchmark;
    lastMetric = r.metric;
  }
  return out.join('\n');
}
