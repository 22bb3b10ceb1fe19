/**
 * Maps a `metrics` channel snapshot to the rows of the engine panel. This is the one place that
 * knows its field names: each row lists the paths it may sit at, the first finite number wins,
 * and figures later parts add under `extra` show under their own name.
 */

export interface MetricRow {
  key: string;
  label: string;
  value: string;
}

interface KnownMetric {
  label: string;
  paths: string[];
  format: (n: number) => string;
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US');
const rate = (n: number): string => `${n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1)}/s`;
const ms = (n: number): string => `${n < 10 ? n.toFixed(2) : n.toFixed(0)} ms`;
const percent = (n: number): string => `${(n <= 1 ? n * 100 : n).toFixed(1)}%`;

// First path: the engine's MetricsSnapshot (streams/metrics/snapshot.ts); the others keep the
// panel working against an older or foreign engine.
const KNOWN: readonly KnownMetric[] = [
  { label: 'Connections', paths: ['connections', 'clients'], format: count },
  { label: 'Messages/s', paths: ['deliveriesPerSec', 'rates.messagesPerSecond'], format: rate },
  { label: 'Publications/s', paths: ['publicationsPerSec', 'rates.publications'], format: rate },
  { label: 'Latency p50', paths: ['commands.p50Ms', 'latency.p50'], format: ms },
  { label: 'Latency p99', paths: ['commands.p99Ms', 'latency.p99'], format: ms },
  { label: 'Event-loop lag p99', paths: ['eventLoopLagMs.p99', 'eventLoop.lagMs'], format: ms },
  { label: 'Cache hit rate', paths: ['extra.cache.hitRate', 'cache.hitRate'], format: percent },
  { label: 'RSS', paths: ['memory.rssBytes'], format: (n) => `${(n / 1048576).toFixed(0)} MiB` },
];

/**
 * Beyond the known rows, only figures that parts register under `extra` (cache, tasks, models)
 * are shown: the rest of the snapshot (per-namespace counts, heap details) is for the SSE
 * stream and Prometheus, not a glanceable panel. The SSE hub's own figures are bookkeeping.
 */
const EXTRA_PREFIX = 'extra.';
const HIDDEN_EXTRA_PREFIX = 'extra.sse.';
const MAX_EXTRA_ROWS = 6;

export function describeMetrics(snapshot: unknown): MetricRow[] {
  if (typeof snapshot !== 'object' || snapshot === null) return [];
  const leaves = numericLeaves(snapshot);
  const used = new Set<string>();
  const rows: MetricRow[] = [];
  for (const known of KNOWN) {
    const path = known.paths.find((p) => leaves.has(p));
    if (path === undefined) continue;
    used.add(path);
    // No command answered in the interval: its percentiles are 0, which would read as "instant".
    const idle = path.startsWith('commands.') && leaves.get('commands.count') === 0;
    rows.push({ key: path, label: known.label, value: idle ? '—' : known.format(leaves.get(path) as number) });
  }
  let extras = 0;
  for (const [path, n] of leaves) {
    if (extras >= MAX_EXTRA_ROWS) break;
    if (used.has(path) || !path.startsWith(EXTRA_PREFIX) || path.startsWith(HIDDEN_EXTRA_PREFIX) || path.endsWith('.ts')) continue;
    rows.push({ key: path, label: path.slice(EXTRA_PREFIX.length), value: Number.isInteger(n) ? count(n) : n.toFixed(2) });
    extras++;
  }
  return rows;
}

function numericLeaves(value: object, prefix = '', out = new Map<string, number>(), depth = 0): Map<string, number> {
  if (depth > 3) return out;
  for (const [k, v] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'number' && Number.isFinite(v)) out.set(path, v);
    else if (typeof v === 'object' && v !== null && !Array.isArray(v)) numericLeaves(v, path, out, depth + 1);
  }
  return out;
}
