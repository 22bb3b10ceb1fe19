import type { RatioRow } from '../shared/ratio-table.js';
import type { HttpBenchResult } from './http-bench.js';

const LABELS = { fastify: 'Fastify 5', node: 'node:http', uws: 'raw uWS' } as const;

/** SN against Fastify, node:http and raw uWS on req/s and p99; the targets: >= 1.3x Fastify, p99 <= 5 ms. */
export function httpRatioRows(r: HttpBenchResult): RatioRow[] {
  const bench = `http ${r.route}, ${r.options.connections} conn (${r.tool})`;
  const sn = r.servers.supernova;
  const rows: RatioRow[] = [];
  for (const kind of ['fastify', 'node', 'uws'] as const) {
    const peer = r.servers[kind];
    if (!peer) continue;
    rows.push({ benchmark: bench, metric: 'req/s', supernova: sn?.requestsPerS, baseline: LABELS[kind], value: peer.requestsPerS, higherIsBetter: true, target: kind === 'fastify' ? 1.3 : undefined });
  }
  for (const kind of ['fastify', 'node', 'uws'] as const) {
    const peer = r.servers[kind];
    if (!peer) continue;
    rows.push({ benchmark: bench, metric: 'p99 ms', supernova: sn?.p99Ms, baseline: LABELS[kind], value: peer.p99Ms, higherIsBetter: false });
  }
  return rows;
}
