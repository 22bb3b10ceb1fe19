/**
 * `npm run bench:recompute`: the `sentiment.recompute` task's throughput (news items rescored and
 * written per second) over news stored in a PostgreSQL database of its own, against the same
 * model replicas scoring the same number of other headlines in pages of the same size with no
 * database at all: the ratio is what reading pages and writing rows costs on top of the scoring.
 * Every headline is distinct, so the inference cache answers none. A measurement: it checks nothing.
 */
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { ActorRuntime } from '../actors/runtime/index.js';
import { ModelReplicas } from '../actors/model-replica/index.js';
import { databaseRecomputeStore, sentimentRecomputeTask, type RecomputeResult } from '../actors/task-worker/index.js';
import type { TaskContext } from '../actors/task-worker/index.js';
import { configEntries } from '../src/config/index.js';
import { Database } from '../src/storage/index.js';
import { writeResultFile } from './orchestrator/paths.js';
import { runCli } from './orchestrator/run-cli.js';
import { ratioTable, type RatioRow } from './shared/ratio-table.js';

const HELP = `npm run bench:recompute [-- options]
  --items N        stored news items rescored (default 20000)
  --database URL   a PostgreSQL superuser URL; the bench creates and drops a database of its own
                   (default SUPERNOVA_TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres)
  --replicas N     model replicas (default SUPERNOVA_ML_REPLICAS's default)
  --model DIR      model directory (default models/sentiment)`;

const WORDS = ['shares', 'surge', 'slump', 'earnings', 'beat', 'miss', 'guidance', 'raises', 'cuts', 'recall', 'record', 'profit', 'loss', 'upgrade', 'downgrade', 'merger', 'probe', 'dividend'];
const HOUR = 3_600_000;

function headline(set: string, n: number): string {
  const w = (k: number) => WORDS[(n * 7 + k * 13) % WORDS.length];
  return `${set} ${w(1)} ${w(2)} after ${w(3)} ${w(4)}, report ${n}`;
}

let dropDatabase: () => Promise<unknown> = async () => {};

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { items: { type: 'string' }, database: { type: 'string' }, replicas: { type: 'string' }, model: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const startedAt = new Date().toISOString();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const defaults = (key: keyof typeof configEntries) => configEntries[key].schema.parse(undefined) as number;
  const items = Number(values.items ?? 20_000);
  const replicas = Number(values.replicas ?? defaults('mlReplicas'));
  const batchMax = defaults('sentimentBatchMax');
  const pageSize = batchMax * Math.max(1, replicas);
  const modelDir = values.model ?? 'models/sentiment';
  const adminUrl = values.database ?? process.env.SUPERNOVA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const cpuPlan = `not pinned: the main thread (the task, the database client) and ${replicas} replica worker threads share the ${cpus().length} core(s), with PostgreSQL on the same machine`;
  log(`cpu split: ${cpuPlan}`);
  const loadBefore = loadavg()[0] as number;

  const name = `sn_bench_recompute_${randomUUID().slice(0, 8)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  dropDatabase = async () => {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end({ timeout: 1 });
  };
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = new Database({ url: url.toString(), poolSize: 4 });
  await db.start();
  const from = Date.UTC(2026, 0, 5);
  const to = from + 24 * HOUR;
  log(`storing ${items} news items of BRC over one day`);
  for (let i = 0; i < items; i += 5_000) {
    const rows = Array.from({ length: Math.min(5_000, items - i) }, (_, k) => {
      const n = i + k;
      return { id: `brc-${n}`, ts_ms: from + Math.floor((n * 24 * HOUR) / items), symbols: ['BRC'], headline: headline('BRC', n), source: null };
    });
    await db.sql`insert into news ${db.sql(rows, 'id', 'ts_ms', 'symbols', 'headline', 'source')}`;
  }

  const rt = new ActorRuntime({ name: 'bench-recompute' });
  rt.start();
  const scorer = new ModelReplicas({
    runtime: rt, modelDir, backend: 'auto', replicas, batchMax: defaults('mlMicroBatchMax'), batchWaitMs: defaults('mlMicroBatchWaitMs'), timeoutMs: 30_000,
    maxQueued: defaults('mlMaxQueued'), cache: { maxItems: 1_000, maxBytes: 1 << 20, ttlMs: 60_000 }, modelsMax: 2,
  });
  await scorer.start();
  try {
    // Warm-up: JIT and the workers' first batches of each size.
    for (let i = 0; i < 1_000; i += pageSize) await scorer.score(Array.from({ length: pageSize }, (_, k) => headline('WARM', i + k)));

    log(`baseline: ${items} other headlines scored a page of ${pageSize} at a time, no database`);
    const t0 = performance.now();
    for (let i = 0; i < items; i += pageSize) await scorer.score(Array.from({ length: Math.min(pageSize, items - i) }, (_, k) => headline('BASE', i + k)));
    const baselineS = (performance.now() - t0) / 1000;

    log(`sentiment.recompute over the ${items} stored items, pages of ${pageSize}`);
    const task = sentimentRecomputeTask({ store: databaseRecomputeStore(db, async () => 0), scorer, alpha: 0.1, pageSize, timeoutMs: 600_000 });
    let progressCalls = 0;
    const ctx: TaskContext = { signal: new AbortController().signal, attempt: 1, progress: () => void progressCalls++, cpu: () => Promise.reject(new Error('not a CPU task')) };
    const t1 = performance.now();
    const result = (await task.run({ symbol: 'BRC', from, to }, ctx)) as RecomputeResult;
    const recomputeS = (performance.now() - t1) / 1000;
    const [written] = await db.sql<{ n: number }[]>`select count(*)::int as n from sentiment_data where symbol = 'BRC'`;
    if (result.items !== items || written?.n !== items) throw new Error(`rescored ${result.items} and stored ${written?.n} of ${items} items`);

    const loadAfter = loadavg()[0] as number;
    const rows: RatioRow[] = [
      { benchmark: `sentiment.recompute (${replicas} replicas, pages of ${pageSize})`, metric: 'items/s', supernova: items / recomputeS, baseline: 'scoring only', value: items / baselineS, higherIsBetter: true },
    ];
    process.stdout.write(`\n${items} items: recompute ${recomputeS.toFixed(2)} s (${result.hours.length} hours, ${progressCalls} pages), scoring alone ${baselineS.toFixed(2)} s; ${cpuPlan}; 1-minute load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after\n`);
    process.stdout.write(`\n${ratioTable(rows)}\n`);
    const file = writeResultFile('recompute', startedAt, {
      startedAt, finishedAt: new Date().toISOString(), cpuPlan, loadAverage: { before: loadBefore, after: loadAfter }, items, replicas, pageSize, recomputeS, baselineS, queries: db.queryStats(),
    });
    process.stdout.write(`results: ${file}\n`);
    return 0;
  } finally {
    await scorer.stop();
    await rt.stop();
    await db.stop();
    await dropDatabase();
    dropDatabase = async () => {};
  }
}

runCli('bench:recompute', main, () => dropDatabase());
