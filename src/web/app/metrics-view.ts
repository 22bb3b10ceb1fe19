/**
 * Maps a `metrics` channel snapshot to the rows of the engine panel. The snapshot's field names
 * are not final, so this is the one place that knows them: each row lists the paths it may sit
 * at, the first finite number wins, and other numeric fields are shown under their own path.
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

const KNOWN: readonly KnownMetric[] = [
  { label: 'Connections', paths: ['connections', 'connections.current', 'clients', 'gateway.connections'], format: count },
  { label: 'Messages/s', paths: ['messagesPerSecond', 'rates.messagesPerSecond', 'rates.delivered', 'messages.perSecond', 'deliveredPerSecond'], format: rate },
  { label: 'Publications/s', paths: ['publicationsPerSecond', 'rates.publications', 'rates.publicationsPerSecond'], format: rate },
  { label: 'Latency p50', paths: ['latency.p50', 'latency.p50Ms', 'latencyMs.p50', 'commandLatency.p50'], format: ms },
  { label: 'Latency p99', paths: ['latency.p99', 'latency.p99Ms', 'latencyMs.p99', 'commandLatency.p99'], format: ms },
  { label: 'Event-loop lag', paths: ['eventLoop.lagMs', 'eventLoop.lag', 'eventLoop.p99', 'eventLoop.p99Ms', 'eventLoopLagMs', 'eventLoop.mean'], format: ms },
  { label: 'Cache hit rate', paths: ['cache.hitRate', 'cacheHitRate', 'cache.hitRatio'], format: percent },
];

/** Extra numeric fields shown beyond the known ones; the panel stays small. */
const MAX_EXTRA_ROWS = 8;

export function describeMetrics(snapshot: unknown): MetricRow[] {
  if (typeof snapshot !== 'object' || snapshot === null) return [];
  const leaves = numericLeaves(snapshot);
  const used = new Set<string>();
  const rows: MetricRow[] = [];
  for (const known of KNOWN) {
    const path = known.paths.find((p) => leaves.has(p));
    if (path === undefined) continue;
    used.add(path);
    rows.push({ key: path, label: known.label, value: known.format(leaves.get(path) as number) });
  }
  for (const [path, n] of leaves) {
    if (rows.length >= KNOWN.length + MAX_EXTRA_ROWS) break;
    if (used.has(path) || path === 'ts' || path.endsWith('.ts')) continue;
    rows.push({ key: path, label: path, value: Number.isInteger(n) ? count(n) : n.toFixed(2) });
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
