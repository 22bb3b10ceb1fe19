/**
 * `npm run bench:inference`: the sentiment model replicas (actors/model-replica) in one run.
 *   - texts/s with micro-batching (SUPERNOVA_ML_MICROBATCH_MAX / _WAIT_MS's defaults) against one text
 *     per batch, on the same replicas, under the same closed-loop load of one-text calls;
 *   - p50/p99 latency of one-text calls at a steady 50, 200 and 1,000 texts/s (open loop), and
 *     the event loop's lag meanwhile, against the model on the calling thread (InProcessScorer)
 *     at the same rates.
 * Every text is distinct, so the inference cache answers none. A measurement: it checks nothing.
 */
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ActorRuntime } from '../actors/runtime/index.js';
import { ModelReplicas } from '../actors/model-replica/index.js';
import { configEntries } from '../src/config/index.js';
import { InProcessScorer } from '../src/ml/index.js';
import type { SentimentScorer } from '../src/ml/index.js';
import { writeResultFile } from './orchestrator/paths.js';
import { runCli } from './orchestrator/run-cli.js';
import { ratioTable, type RatioRow } from './shared/ratio-table.js';

const HELP = `npm run bench:inference [-- options]
  --replicas N     worker threads (default SUPERNOVA_ML_REPLICAS's default)
  --duration S     seconds per measurement (default 5)
  --callers N      concurrent one-text callers of the throughput rounds (default 64)
  --rates LIST     texts/s of the latency rounds (default 50,200,1000)
  --model DIR      model directory (default models/sentiment)
  --batch-max N    B of the batched rounds (default SUPERNOVA_ML_MICROBATCH_MAX's default)
  --batch-wait N   T in ms (default SUPERNOVA_ML_MICROBATCH_WAIT_MS's default)
  --nice N         nice value of the worker threads (default SUPERNOVA_ML_WORKER_NICE's default)`;

const WORDS = ['shares', 'surge', 'slump', 'earnings', 'beat', 'miss', 'guidance', 'raises', 'cuts', 'recall', 'record', 'profit', 'loss', 'upgrade', 'downgrade', 'merger', 'probe', 'dividend'];
const SYMBOLS = ['$AAPL', '$MSFT', '$NVDA', '$TSLA', '$AMZN', '$GOOGL', '$META', '$SPY'];

/** A distinct headline-like text per n (so no cache answers it). */
function headline(n: number): string {
  const w = (k: number) => WORDS[(n * 7 + k * 13) % WORDS.length];
  return `${SYMBOLS[n % SYMBOLS.length]} ${w(1)} ${w(2)} after ${w(3)} ${w(4)}, report ${n}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
const round = (n: number, d = 2): number => Math.round(n * 10 ** d) / 10 ** d;

interface Throughput { textsPerS: number; texts: number; meanBatch: number | null }

/** `callers` loops, each awaiting one one-text call after another, for `seconds`. */
async function closedLoop(scorer: ModelReplicas, callers: number, seconds: number, next: () => number): Promise<Throughput> {
  const before = scorer.report();
  const end = performance.now() + seconds * 1000;
  let texts = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: callers }, async () => {
    while (performance.now() < end) {
      await scorer.score([headline(next())]);
      texts++;
    }
  }));
  const s = (performance.now() - t0) / 1000;
  const after = scorer.report();
  const batches = after.batches - before.batches;
  return { textsPerS: round(texts / s, 0), texts, meanBatch: batches === 0 ? null : round(texts / batches) };
}

interface Latency { rate: number; sent: number; errors: number; p50Ms: number; p99Ms: number; maxMs: number; loopP99Ms: number; loopMaxMs: number }

/** One-text calls at `rate` per second, sent on schedule whatever the answers (open loop). */
async function openLoop(scorer: SentimentScorer, rate: number, seconds: number, next: () => number): Promise<Latency> {
  const lat: number[] = [];
  let errors = 0;
  const calls: Promise<void>[] = [];
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const t0 = performance.now();
  let sent = 0;
  while (performance.now() - t0 < seconds * 1000) {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate);
    for (; sent < due; sent++) {
      const start = performance.now();
      calls.push(scorer.score([headline(next())]).then(() => { lat.push(performance.now() - start); }, () => { errors++; }));
    }
    await sleep(1);
  }
  await Promise.all(calls);
  loop.disable();
  lat.sort((a, b) => a - b);
  return {
    rate, sent, errors, p50Ms: round(quantile(lat, 0.5)), p99Ms: round(quantile(lat, 0.99)), maxMs: round(lat.at(-1) ?? Number.NaN),
    loopP99Ms: round(loop.percentile(99) / 1e6), loopMaxMs: round(loop.max / 1e6),
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { replicas: { type: 'string' }, duration: { type: 'string' }, callers: { type: 'string' }, rates: { type: 'string' }, model: { type: 'string' }, nice: { type: 'string' }, 'batch-max': { type: 'string' }, 'batch-wait': { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const startedAt = new Date().toISOString();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const defaults = (key: keyof typeof configEntries) => configEntries[key].schema.parse(undefined) as number;
  const replicas = Number(values.replicas ?? defaults('mlReplicas'));
  const batchMax = Number(values['batch-max'] ?? defaults('mlMicroBatchMax'));
  const batchWaitMs = Number(values['batch-wait'] ?? defaults('mlMicroBatchWaitMs'));
  const seconds = Number(values.duration ?? 5);
  const callers = Number(values.callers ?? 64);
  const rates = (values.rates ?? '50,200,1000').split(',').map(Number);
  const modelDir = values.model ?? 'models/sentiment';
  const workerNice = Number(values.nice ?? defaults('mlWorkerNice'));
  const cores = cpus().length;
  const cpuPlan = `not pinned: this process's main thread (router, load generator) and its ${replicas} replica worker threads share the ${cores} core(s)`;
  log(`cpu split: ${cpuPlan}`);
  // The cores are shared with whatever else runs: the load average says how much of them this run had.
  const loadBefore = loadavg()[0] as number;

  const rt = new ActorRuntime({ name: 'bench-inference' });
  rt.start();
  const m = new ModelReplicas({
    runtime: rt, modelDir, backend: 'auto', replicas, batchMax, batchWaitMs, timeoutMs: 30_000, maxQueued: 1_000_000,
    cache: { maxItems: 1_000, maxBytes: 1 << 20, ttlMs: 60_000 }, modelsMax: 2, workerNice,
    log: { info: (o, msg) => log(`${msg} ${JSON.stringify(o)}`), warn: (o, msg) => log(`${msg} ${JSON.stringify(o)}`) },
  });
  await m.start();
  let n = 0;
  const next = () => n++;
  // Warm-up: JIT, the workers' first batches of each size.
  await closedLoop(m, callers, 1, next);

  log(`throughput: ${callers} callers of one text each, ${seconds}s per round, one text per batch then batches of up to ${batchMax} (T ${batchWaitMs} ms), twice`);
  const rounds: { single: Throughput; batched: Throughput }[] = [];
  for (let r = 0; r < 2; r++) {
    m.setBatching(1, 0);
    const single = await closedLoop(m, callers, seconds, next);
    m.setBatching(batchMax, batchWaitMs);
    const batched = await closedLoop(m, callers, seconds, next);
    rounds.push({ single, batched });
    log(`  round ${r + 1}: one per batch ${single.textsPerS} texts/s; batched ${batched.textsPerS} texts/s (mean batch ${batched.meanBatch})`);
  }
  const best = (k: 'single' | 'batched') => Math.max(...rounds.map((r) => r[k].textsPerS));

  log(`latency: one-text calls at ${rates.join(', ')} texts/s, ${seconds}s each, replicas (batched) then the model on the calling thread`);
  const replicaLatency: Latency[] = [];
  for (const rate of rates) {
    replicaLatency.push(await openLoop(m, rate, seconds, next));
    log(`  replicas ${rate}/s: ${JSON.stringify(replicaLatency.at(-1))}`);
  }
  const report = m.report();
  await m.stop();
  await rt.stop();

  const local = new InProcessScorer({ modelDir, backend: 'auto' });
  await local.start();
  const localLatency: Latency[] = [];
  for (const rate of rates) {
    localLatency.push(await openLoop(local, rate, seconds, next));
    log(`  calling thread ${rate}/s: ${JSON.stringify(localLatency.at(-1))}`);
  }
  await local.stop();

  const rows: RatioRow[] = [
    { benchmark: `micro-batching (${replicas} replicas, ${callers} callers)`, metric: 'texts/s', supernova: best('batched'), baseline: '1 per batch', value: best('single'), higherIsBetter: true, target: 5 },
  ];
  rates.forEach((rate, i) => {
    const r = replicaLatency[i] as Latency;
    const l = localLatency[i] as Latency;
    rows.push(
      { benchmark: `one-text calls at ${rate}/s`, metric: 'p50 ms', supernova: r.p50Ms, baseline: 'in-thread', value: l.p50Ms, higherIsBetter: false },
      { benchmark: `one-text calls at ${rate}/s`, metric: 'p99 ms', supernova: r.p99Ms, baseline: 'in-thread', value: l.p99Ms, higherIsBetter: false, ...(rate === 200 ? { limit: 50 } : {}) },
      { benchmark: `one-text calls at ${rate}/s`, metric: 'event-loop p99 ms', supernova: r.loopP99Ms, baseline: 'in-thread', value: l.loopP99Ms, higherIsBetter: false, limit: 10 },
    );
  });
  const loadAfter = loadavg()[0] as number;
  process.stdout.write(`\nbackend: ${report.backend}; model ${report.version}; ${replicas} replicas; B ${batchMax}, T ${batchWaitMs} ms; ${cpuPlan}; 1-minute load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after\n`);
  process.stdout.write(`\n${ratioTable(rows)}\n`);
  const file = writeResultFile('inference', startedAt, {
    startedAt, finishedAt: new Date().toISOString(), cpuPlan, loadAverage: { before: loadBefore, after: loadAfter }, backend: report.backend, version: report.version, replicas, batchMax, batchWaitMs,
    throughput: rounds, replicaLatency, localLatency, report,
  });
  process.stdout.write(`results: ${file}\n`);
  return 0;
}

runCli('bench:inference', main);
