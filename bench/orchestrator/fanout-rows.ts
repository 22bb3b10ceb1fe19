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
  // The highest publication rate both servers held, and each one's p99 there.
  const p99AtSharedRate = (k: ServerKind): { rate: number; sn: number; base: number } | undefined => {
    const held = (kind: ServerKind) => new Map((sat(kind)?.steps ?? []).filter((s) => s.ok).map((s) => [s.ratePerChannel, s.p99Ms]));
    const sn = held('supernova');
    const base = held(k);
    const shared = [...sn.keys()].filter((rate) => base.has(rate)).sort((a, b) => b - a)[0];
    return shared === undefined ? undefined : { rate: shared, sn: sn.get(shared) as number, base: base.get(shared) as number };
  };
  const baselines = (Object.keys(r.single) as ServerKind[]).filter((k) => k !== 'supernova');
  const rows: RatioRow[] = [];
  for (const k of baselines) rows.push({ benchmark: bench, metric: 'max msgs/s', supernova: sat('supernova')?.maxSustainedPerS, baseline: KIND_LABELS[k], value: sat(k)?.maxSustainedPerS, higherIsBetter: true, target: FANOUT_TARGETS[k] });
  // "At equal or lower p99": at the same offered load, the highest rate both held. At each one's
  // own maximum the loads differ (SuperNova's maximum is higher), so that row carries no target.
  for (const k of baselines) {
    const same = p99AtSharedRate(k);
    rows.push({ benchmark: bench, metric: same ? `p99 ms at ${same.rate}/s` : 'p99 ms, same rate', supernova: same?.sn, baseline: KIND_LABELS[k], value: same?.base, higherIsBetter: false, target: 1 });
  }
  for (const k of baselines) rows.push({ benchmark: bench, metric: 'p99 ms at own max', supernova: p99AtMax('supernova'), baseline: KIND_LABELS[k], value: p99AtMax(k), higherIsBetter: false });
  for (const k of baselines) rows.push({ benchmark: bench, metric: 'KiB / connection', supernova: r.single.supernova?.memory.kibPerConnection, baseline: KIND_LABELS[k], value: r.single[k]?.memory.kibPerConnection, higherIsBetter: false });
  return rows;
}
