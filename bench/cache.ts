/**
 * `npm run bench:cache`: the storage and cache targets in one run. Cache tiers (warm L1 against a
 * bare Map, L2 and L3 hits against bare Redis and PostgreSQL reads), the bars API past the
 * in-memory ring on a warm cache against the same queries going to PostgreSQL each time, and
 * persistence (the tick writer's COPY against single-row inserts and psql's \copy of the same rows).
 */
import { parseArgs } from 'node:util';
import { planCpus } from './orchestrator/cpu-plan.js';
import { readHostLimits } from './orchestrator/host-limits.js';
import { writeResultFile } from './orchestrator/paths.js';
import { runCli } from './orchestrator/run-cli.js';
import { measureCacheTiers } from './cache-tiers.js';
import { measureBarsArchive } from './cache/bars-bench.js';
import { measurePersistence, type Result } from './persistence.js';
import { ratioTable, type RatioRow } from './shared/ratio-table.js';

const HELP = `npm run bench:cache [-- options]
  --postgres URL    PostgreSQL superuser URL; the bench creates databases of its own there and drops them
                    (default postgres://postgres@127.0.0.1:5432/postgres)
  --redis URL       Redis for the L2 figures (default SUPERNOVA_REDIS_URL or redis://127.0.0.1:6379; "none" skips L2)
  --duration S      seconds of load per bars round (default 10), after --warmup S (default 3)
  --rounds N        bars rounds, cached and uncached alternating first (default 3; medians reported)
  --connections N   HTTP connections of the bars load (default 32)
  --ticks PATH      tick CSV of the persistence rows (default ../shared/data/market/spy-2013-10-07/ticks.csv.gz)
  --no-pin          do not pin the server to CPU 0 and the load to the others`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      postgres: { type: 'string' }, redis: { type: 'string' }, duration: { type: 'string' }, warmup: { type: 'string' },
      rounds: { type: 'string' }, connections: { type: 'string' }, ticks: { type: 'string' }, 'no-pin': { type: 'boolean' }, help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const startedAt = new Date().toISOString();
  const postgresAdminUrl = values.postgres ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = values.redis ?? process.env.SUPERNOVA_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const cpu = planCpus(readHostLimits(), !values['no-pin']);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(`cpu split: ${cpu.description}`);

  log('cache tiers: warm L1 against a Map, L2 and L3 hits against bare reads (in this process)');
  const tiers = await measureCacheTiers({ redisUrl: redisUrl === 'none' ? undefined : redisUrl, postgresAdminUrl });

  log('bars past the ring: warm cache against PostgreSQL each time (server on its CPU, autocannon on the other)');
  const bars = await measureBarsArchive({
    postgresAdminUrl, symbols: 20, barsPerSymbol: 5_000, pagesPerSymbol: 20,
    connections: Number(values.connections ?? 32), durationS: Number(values.duration ?? 10), warmupS: Number(values.warmup ?? 3), rounds: Number(values.rounds ?? 3),
  }, cpu, log);
  const barsRows: RatioRow[] = [
    { benchmark: `bars past the ring (${bars.distinctQueries} pages)`, metric: 'req/s', supernova: bars.cached.requestsPerS, baseline: 'PG each time', value: bars.uncached.requestsPerS, higherIsBetter: true, target: 10 },
    { benchmark: 'bars past the ring, paired by round', metric: 'req/s ratio', supernova: bars.pairedRatio, baseline: '1x', value: 1, higherIsBetter: true, target: 10 },
    { benchmark: `bars past the ring (${bars.distinctQueries} pages)`, metric: 'p99 ms', supernova: bars.cached.p99Ms, baseline: 'PG each time', value: bars.uncached.p99Ms, higherIsBetter: false },
  ];

  log('persistence: the same 200,000 SPY ticks by single-row INSERT, the batch writer (multi-row INSERT, COPY) and psql \\copy (server unpinned)');
  const persist = await measurePersistence({ rows: 200_000, single: 10_000, batch: 5_000, file: values.ticks ?? '../shared/data/market/spy-2013-10-07/ticks.csv.gz', url: postgresAdminUrl }, log);
  const byName = (prefix: string) => persist.results.find((r) => r.name.startsWith(prefix)) as Result;
  const copy = byName('(c) ');
  const persistRows: RatioRow[] = [
    { benchmark: 'persistence, COPY (ticks)', metric: 'rows/s', supernova: copy.rate, baseline: 'single-row', value: byName('(a) ').rate, higherIsBetter: true, target: 20 },
    { benchmark: 'persistence, COPY (ticks)', metric: 'rows/s', supernova: copy.rate, baseline: 'psql \\copy', value: byName('(d) ').rate, higherIsBetter: true, target: 0.5 },
    { benchmark: 'persistence, COPY (ticks), absolute', metric: 'rows/s', supernova: copy.rate, baseline: '100k rows/s', value: 100_000, higherIsBetter: true, target: 1 },
    { benchmark: 'persistence, multi-row INSERT (bars)', metric: 'rows/s', supernova: byName('(b) ').rate, baseline: 'single-row', value: byName('(a) ').rate, higherIsBetter: true },
  ];

  process.stdout.write(`\n${ratioTable([...tiers.rows, ...barsRows, ...persistRows])}\n`);
  process.stdout.write(`\nbars: ${bars.storedBars.toLocaleString('en-US')} stored bars, responses of ${bars.responseBytes.toLocaleString('en-US')} bytes; errors: cached ${bars.cached.errors}, uncached ${bars.uncached.errors}\n`);
  const file = writeResultFile('cache', startedAt, { startedAt, finishedAt: new Date().toISOString(), cpuPlan: cpu.description, tiers, bars, persistence: persist });
  process.stdout.write(`results: ${file}\n`);
  return 0;
}

runCli('bench:cache', main);
