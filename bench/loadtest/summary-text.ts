import type { LoadtestResult } from './result.js';
import type { LoadRunResult } from './run-load.js';

const n = (v: number, d = 2) => (Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '-');

/** The summary of one phase as printed on stdout. */
export function runSummaryText(run: LoadRunResult): string {
  const s = run.summary;
  const r = s.response;
  const d = s.delivery;
  const kinds = Object.entries(s.errorsByKind).map(([k, c]) => `${c}x ${k}`).join(', ');
  return [
    `${run.name}${run.interrupted ? ' (interrupted)' : ''}: ${run.spec.users} ${run.spec.client} users (${s.usersConnected} connected, ${s.usersFailed} failed), ${n(s.durationS, 1)} s, ${run.spec.ratePerUser}/s per user, ${run.spec.usersPerChannel} per channel`,
    `  response time   avg ${n(r.avgMs)} ms   p50 ${n(r.p50Ms)} ms   p95 ${n(r.p95Ms)} ms   p99 ${n(r.p99Ms)} ms   max ${n(r.maxMs)} ms`,
    `  publish->receipt avg ${n(d.avgMs)} ms   p50 ${n(d.p50Ms)} ms   p95 ${n(d.p95Ms)} ms   p99 ${n(d.p99Ms)} ms   max ${n(d.maxMs)} ms`,
    `  requests/s ${n(s.requestsPerS, 1)}   messages/s ${n(s.messagesPerS, 1)}   errors ${s.errors} of ${s.requests} requests + ${s.usersAttempted} connects = ${n(s.errorRate * 100)} %${kinds ? ` (${kinds})` : ''}`,
  ].join('\n');
}

/** Every phase of a result, and the verdicts. */
export function resultSummaryText(r: LoadtestResult): string {
  const out: string[] = [];
  if (r.partial) out.push(`PARTIAL: ${r.stopReason ?? 'stopped early'}`);
  if (r.load) out.push(runSummaryText(r.load));
  if (r.stress) out.push(`stress: ${r.stress.summary}`);
  if (r.endurance) {
    const st = r.endurance.stability;
    out.push(`endurance: ${st.stable ? 'stable' : 'NOT stable'}; RSS growth ${n(st.rssGrowthPct ?? Number.NaN)} %, ${st.errors} errors, p99 drift ${n(st.latencyDriftPct ?? Number.NaN, 0)} %${st.reasons.length ? ` (${st.reasons.join('; ')})` : ''}`);
  }
  if (r.memoryLeak) out.push(`memory leak: ${r.memoryLeak.verdict.verdict}: ${r.memoryLeak.verdict.reason}`);
  return out.join('\n');
}
