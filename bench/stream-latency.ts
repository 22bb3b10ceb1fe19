/**
 * `npm run bench:streams`: publish-to-receipt latency of HTTP-streaming and SSE sessions against
 * WebSocket ones (the baseline), measured in the same run at the same publication rate.
 *
 *   npm run bench:streams -- --sessions 5000          (the documented run; --help lists the rest)
 *
 * Processes and cores: the engine alone on CPU 0 (taskset); on CPU 1 the reader processes, the
 * publisher process and this orchestrator (idle while measuring). Each transport is measured
 * alone, one after the other: its readers (raw TCP sockets, one shared read buffer per process;
 * the HTTP request written by hand, chunked coding and SSE lines decoded in place, the stamp found
 * by a byte scan) open every session at a bounded rate, all subscribe to one channel, and only
 * then does the publisher (its own process, `POST /api/publish`) publish `{ts, seq}` at the set
 * rate, `ts` taken as the request is written. Every session counts its publications, so the run
 * says whether each got each exactly once; latency is receipt minus `ts` on the one host clock.
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { BenchChild } from './orchestrator/bench-child.js';
import { planCpus } from './orchestrator/cpu-plan.js';
import { FD_RESERVE, readHostLimits } from './orchestrator/host-limits.js';
import { childScripts, writeResultFile } from './orchestrator/paths.js';
import { runCli } from './orchestrator/run-cli.js';
import type { ApiPublisherArgs, PublisherRpc } from './shared/publisher-protocol.js';
import type { StreamEngineArgs, StreamEngineRpc } from './streams/engine-child.js';
import { parseOptions, USAGE } from './streams/options.js';
import { measureTransport, type PhaseResult } from './streams/phase.js';

const CHANNEL = 'bench:streams';
const ENGINE_SCRIPT = fileURLToPath(new URL('./streams/engine-child.js', import.meta.url));
/** Between transports: the engine releases the last phase's sessions before the next ramp. */
const PAUSE_MS = 2000;

async function main(): Promise<number> {
  const parsed = parseOptions(process.argv.slice(2));
  if (parsed === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const o = parsed;
  const host = readHostLimits();
  const perReader = Math.ceil(o.sessions / o.readers);
  if (perReader + FD_RESERVE > host.maxOpenFiles) throw new Error(`${perReader} sessions per reader exceed the open-file limit of ${host.maxOpenFiles}: raise --readers`);
  if (o.sessions * 2 + FD_RESERVE > host.maxOpenFiles) process.stderr.write(`bench:streams: the engine may need ${o.sessions * 2 + FD_RESERVE} files (limit ${host.maxOpenFiles})\n`);
  const cpu = planCpus(host, o.pin);
  const maxLifetimeMs = (o.transports.length * (o.seconds + o.sessions / o.ramp * 3 + 120)) * 1000;
  const startedAt = new Date().toISOString();
  const loadBefore = loadavg();
  const apiKey = randomUUID();

  const { child: engine, ready } = await BenchChild.spawn<StreamEngineRpc, { port: number; pid: number }>({
    label: 'engine', script: ENGINE_SCRIPT, args: { maxLifetimeMs, sessions: o.sessions } satisfies StreamEngineArgs,
    cpus: cpu.serverCpus, tasksetPath: cpu.tasksetPath, nodeFlags: [], readyTimeoutMs: 30_000, env: { SUPERNOVA_API_KEY: apiKey },
  });
  const url = `http://127.0.0.1:${ready.port}`;
  const { child: publisher } = await BenchChild.spawn<PublisherRpc, unknown>({
    label: 'publisher', script: childScripts.apiPublisher,
    args: { maxLifetimeMs, url, maxInFlight: 4, maxQueued: 1000 } satisfies ApiPublisherArgs,
    cpus: cpu.loadCpus, tasksetPath: cpu.tasksetPath, nodeFlags: [], readyTimeoutMs: 15_000, env: { SUPERNOVA_API_KEY: apiKey },
  });
  process.stderr.write(`bench:streams: ${o.sessions} sessions per transport in ${o.readers} reader process(es), ramp ${o.ramp}/s, `
    + `${o.rate} publications/s for ${o.seconds} s; ${cpu.description}; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}\n`);

  const rows: PhaseResult[] = [];
  try {
    for (const transport of o.transports) {
      if (rows.length > 0) await sleep(PAUSE_MS);
      rows.push(await measureTransport({ options: o, cpu, host: '127.0.0.1', port: ready.port, channel: CHANNEL, engine, publisher, maxLifetimeMs }, transport));
    }
  } finally {
    await publisher.request('stop', null, 5000).catch(() => {});
    await engine.request('stop', null, 10_000).catch(() => {});
    await Promise.all([publisher.waitExit(5000), engine.waitExit(10_000)]);
  }
  const loadAfter = loadavg();

  const base = rows.find((r) => r.transport === 'websocket');
  const ratio = (r: PhaseResult) => (base && base.p99Ms > 0 ? `${(r.p99Ms / base.p99Ms).toFixed(2)}x` : '-');
  const n = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '-');
  const out: string[] = [
    '| transport | sessions | published | delivered | sessions complete (count / same stamps) | p50 ms | p99 ms | p99.9 ms | max ms | p99 / WebSocket p99 '
      + '| engine CPU % | CPU 0 / CPU 1 busy % | loop delay p99 ms (engine / readers) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    out.push(`| ${r.transport} | ${r.subscribed}/${r.sessions} | ${r.published} | ${r.received}/${r.expected} (${n(r.deliveryPct, 2)} %) | ${r.sessionsComplete} / ${r.sessionsSameSet} | `
      + `${n(r.p50Ms)} | ${n(r.p99Ms)} | ${n(r.p999Ms)} | ${n(r.maxMs)} | ${ratio(r)} | ${n(r.engineCpuPct, 0)} | ${n(r.corePct[0] ?? Number.NaN, 0)} / ${n(r.corePct[1] ?? Number.NaN, 0)} `
      + `| ${n(r.engineLoopDelayP99Ms)} / ${n(r.readerLoopDelayP99Ms)} |`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
  process.stdout.write(`load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(2)).join(' ')}\n`);
  for (const r of rows) {
    const notes: string[] = [];
    if (r.sessionsSameSet < r.subscribed) notes.push(`${r.subscribed - r.sessionsSameSet} sessions received other publications than the rest`);
    if (r.sessionsShort + r.sessionsOver > 0) notes.push(`${r.sessionsShort} sessions short, ${r.sessionsOver} over (per session ${r.minPerSession}..${r.maxPerSession} of ${r.published})`);
    if (r.lost > 0) notes.push(`${r.lost} sessions lost during the window`);
    if (r.subscribed < r.sessions) notes.push(`${r.sessions - r.subscribed} sessions failed to open`);
    if (r.unstamped > 0) notes.push(`${r.unstamped} publications without a readable stamp`);
    // Requests in flight at once may be taken by the engine in another order than stamped.
    if (r.nonIncreasing > 0) notes.push(`${r.nonIncreasing} receipts out of stamp order (concurrent API requests)`);
    if (r.problems.length > 0) notes.push(`problems: ${r.problems.join('; ')}`);
    process.stdout.write(`  ${r.transport}: ramp ${n(r.rampMs / 1000)} s, published in ${n(r.publishMs / 1000)} s (publish ack p99 ${n(r.publishAckP99Ms)} ms), drained ${n(r.drainMs)} ms after; `
      + `CPU % of a core: engine ${n(r.engineCpuPct, 0)}, readers ${n(r.readersCpuPct, 0)}, publisher ${n(r.publisherCpuPct, 0)}; `
      + `loop delay max: engine ${n(r.engineLoopDelayMaxMs)} ms, readers ${n(r.readerLoopDelayMaxMs)} ms`
      + `${notes.length > 0 ? `\n    ${notes.join('\n    ')}` : ''}\n`);
  }
  const file = writeResultFile('streams', startedAt, { startedAt, options: o, cpu: cpu.description, loadBefore, loadAfter, rows });
  process.stderr.write(`bench:streams: result in ${file}\n`);
  const whole = rows.every((r) => r.subscribed === r.sessions && r.sessionsComplete === r.sessions && r.sessionsSameSet === r.sessions);
  if (!whole) process.stderr.write('bench:streams: not every session received every publication (see above)\n');
  return 0;
}

runCli('bench:streams', main);
