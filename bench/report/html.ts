import type { LoadtestResult } from '../loadtest/result.js';
import type { LoadRunResult } from '../loadtest/run-load.js';

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const f = (v: number | undefined, digits = 2) => (v === undefined || !Number.isFinite(v) ? '-' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));

function table(head: string[], rows: string[][]): string {
  return `<table><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('')}</table>`;
}

export function runTable(run: LoadRunResult): string {
  const s = run.summary;
  return table(['', 'avg ms', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'count'], [
    ['response time (publish, rpc)', f(s.response.avgMs), f(s.response.p50Ms), f(s.response.p95Ms), f(s.response.p99Ms), f(s.response.maxMs), f(s.response.count, 0)],
    ['publish-to-receipt', f(s.delivery.avgMs), f(s.delivery.p50Ms), f(s.delivery.p95Ms), f(s.delivery.p99Ms), f(s.delivery.maxMs), f(s.delivery.count, 0)],
  ]) + table(['users', 'connected', 'failed', 'seconds', 'requests/s', 'messages/s', 'errors', 'error rate', 'errors by kind'], [[
    f(run.spec.users, 0), f(s.usersConnected, 0), f(s.usersFailed, 0), f(s.durationS, 1), f(s.requestsPerS, 1), f(s.messagesPerS, 1), f(s.errors, 0), `${f(s.errorRate * 100, 2)} %`,
    Object.entries(s.errorsByKind).map(([k, n]) => `${n}x ${k}`).join(', ') || 'none',
  ]]);
}

/** A self-contained page: tables, then every chart as inline SVG (no script, no external file). */
export function reportHtml(r: LoadtestResult, charts: { title: string; svg: string }[]): string {
  const sections: string[] = [];
  if (r.load) sections.push(`<h2>${r.command === 'quick' ? 'Quick load' : 'Async load'}${r.load.interrupted ? ' (interrupted)' : ''}</h2>${runTable(r.load)}`);
  if (r.stress) {
    sections.push(`<h2>Stress</h2><p class="verdict">${escapeHtml(r.stress.summary)}</p>` + table(['users', 'rate/user', 'requests/s', 'messages/s', 'p99 ms', 'error rate', 'verdict'],
      r.stress.steps.map((s) => [f(s.users, 0), f(s.ratePerUser, 2), f(s.requestsPerS, 1), f(s.messagesPerS, 1), f(s.p99Ms), `${f(s.errorRate * 100)} %`, s.broke ?? 'held'])));
  }
  if (r.endurance) {
    const st = r.endurance.stability;
    sections.push(`<h2>Endurance: ${st.stable ? 'stable' : 'NOT stable'}</h2><p class="verdict">${escapeHtml(st.reasons.join('; ') || 'RSS flat, no errors, latency not drifting')}</p>`
      + table(['RSS growth', 'errors', 'p99 first third ms', 'p99 last third ms', 'drift'], [[`${f(st.rssGrowthPct)} %`, f(st.errors, 0), f(st.firstThirdP99Ms), f(st.lastThirdP99Ms), `${f(st.latencyDriftPct, 0)} %`]])
      + runTable(r.endurance.run));
  }
  if (r.memoryLeak) {
    const v = r.memoryLeak.verdict;
    sections.push(`<h2>Memory leak: ${escapeHtml(v.verdict)}</h2><p class="verdict">${escapeHtml(v.reason)}</p>`
      + table(['series', 'samples', 'slope MiB/min', 'R²', 'growth', 'start MiB', 'end MiB', 'leaking'], v.trends.map((t) => [t.series, f(t.samples, 0), f(t.slopeMiBPerMin, 3), f(t.r2), `${f(t.growthPct)} %`, f(t.startMiB, 1), f(t.endMiB, 1), t.leaking ? 'yes' : 'no']))
      + runTable(r.memoryLeak.run));
  }
  const m = r.machine;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SuperNova load test: ${escapeHtml(r.command)} ${escapeHtml(r.startedAt)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1400px;color:#222}table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}th{background:#f3f3f3}td:first-child{text-align:left}.verdict{font-weight:600}.partial{color:#b00;font-weight:700}figure{display:inline-block;margin:.5em}</style>
</head><body>
<h1>SuperNova load test: ${escapeHtml(r.command)}</h1>
${r.partial ? `<p class="partial">Partial report: ${escapeHtml(r.stopReason ?? 'stopped early')}</p>` : ''}
<p>${escapeHtml(r.startedAt)} to ${escapeHtml(r.finishedAt)}; target ${escapeHtml(r.target.wsUrl)}${r.target.startedBySuite ? ' (started by the suite)' : ''}; publications via ${escapeHtml(r.target.publishVia)};
${m.cores} cores (${escapeHtml(m.cpuModel)}), Node ${escapeHtml(m.node)}; ${escapeHtml(m.cpuPlan)}. Schema ${escapeHtml(r.schema)}.</p>
${sections.join('\n')}
<h2>Charts</h2>
${charts.map((c) => `<figure>${c.svg}<figcaption>${escapeHtml(c.title)}</figcaption></figure>`).join('\n')}
</body></html>
`;
}
