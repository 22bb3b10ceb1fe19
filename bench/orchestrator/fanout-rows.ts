import type { ServerKind } from '../cli/options.js';
import type { RatioRow } from '../shared/ratio-table.js';
import { KIND_LABELS, type BenchResults } from './report.js';

/** What the issue asks of SuperNova's fan-out against each baseline (messages/s ratio). */
export const FANOUT_TARGETS: Partial<Record<ServerKind, number>> = { raw: 0.8, ws: 10, socketio: 50 };

/** Saturation (b) of a fan-out result as ratio rows: max sustained msgs/s, p99 there, KiB/connection. */
export function fanoutRatioRows(r: BenchResults, subscribers: number): RatioRow[] {
  const bench = `fan-out 1 ch, ${subscribers.toLocaleString('en-US')} subs`;
  const sat = (k: ServerKind) => r.single[k]?.result.saturation;
  const p99AtMax = (k: ServerKind) => {
    const s = sat(k);
    return s?.steps.find((step) => step.ok && step.ratePerChannel === s.atRatePerChannel)?.p99Ms;
  };
  const baselines = (Object.keys(r.single) as ServerKind[]).filter((k) => k !== 'supernova');
  const rows: RatioRow[] = [];
  for (const k of baselines) rows.push({ benchmark: bench, metric: 'max msgs/s', supernova: sat('supernova')?.maxSustainedPerS, baseline: KIND_LABELS[k], value: sat(k)?.maxSustainedPerS, higherIsBetter: true, target: FANOUT_TARGETS[k] });
  // "At equal or lower p99": SN's p99 at its own maximum against the baseline's at its maximum.
  for (const k of baselines) rows.push({ benchmark: bench, metric: 'p99 ms at max', supernova: p99AtMax('supernova'), baseline: KIND_LABELS[k], value: p99AtMax(k), higherIsBetter: false, target: 1 });
  for (const k of baselines) rows.push({ benchmark: bench, metric: 'KiB / connection', supernova: r.single.supernova?.memory.kibPerConnection, baseline: KIND_LABELS[k], value: r.single[k]?.memory.kibPerConnection, higherIsBetter: false });
  return rows;
}
