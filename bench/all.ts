/**
 * `npm run bench`: every benchmark of bench/, each measuring SuperNova and its baselines in the
 * same run, then one table of ratios. The fan-out and scale benchmarks run as their own processes
 * (they manage their children and the open-file limit); the HTTP benchmark runs here.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BENCH_FLAGS, valueOptions } from './cli/options.js';
import { planCpus } from './orchestrator/cpu-plan.js';
import { fanoutRatioRows } from './orchestrator/fanout-rows.js';
import { readHostLimits } from './orchestrator/host-limits.js';
import { writeResultFile } from './orchestrator/paths.js';
import type { BenchResults } from './orchestrator/report.js';
import { runCli } from './orchestrator/run-cli.js';
import { scaleRatioRows, type ScaleResults } from './scale/scale-report.js';
import { httpRatioRows } from './http/http-rows.js';
import { HTTP_SERVERS, runHttpBench } from './http/http-bench.js';
import { ratioTable, type RatioRow } from './shared/ratio-table.js';

const HELP = `npm run bench -- [options]

Runs the fan-out benchmark (SuperNova, raw uWebSockets.js, ws, Socket.IO; saturation at each
subscriber count), the scale benchmark (50,000 idle subscribers, SuperNova and raw
uWebSockets.js) and the HTTP benchmark (SuperNova, Fastify 5, node:http), then prints one
table of SN/baseline ratios with the issue's targets. Results: bench/results/bench-<timestamp>.json
(and each benchmark's own JSON beside it). Takes a while: see bench/README.md.

Options
  --subscribers LIST  fan-out subscriber counts (default 1000,10000; --quick 1000)
  --only NAME         fanout | scale | http (default all three)
  --quick             short phases everywhere: a fast check that everything runs
  --help              this text`;

const FANOUT = fileURLToPath(new URL('./fanout.js', import.meta.url));
const SCALE = fileURLToPath(new URL('./scale.js', import.meta.url));
const ONLY = ['fanout', 'scale', 'http'] as const;

/** Runs a benchmark CLI and returns its results file (the line `results: FILE` of its stdout). */
function runBenchCli<T>(name: string, script: string, args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      process.stdout.write(d);
    });
    child.once('exit', (code) => {
      const file = /^results: (.+)$/m.exec(out)?.[1];
      if (code !== 0 || !file) reject(new Error(`${name} benchmark failed (exit ${code ?? '-'})`));
      else resolve(JSON.parse(readFileSync(file, 'utf8')) as T);
    });
  });
}

async function main(): Promise<number> {
  const { values } = parseArgs({ args: process.argv.slice(2), strict: true, options: { ...valueOptions('subscribers', 'only'), quick: BENCH_FLAGS.quick, help: BENCH_FLAGS.help } });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const quick = values.quick === true;
  const only = values.only;
  if (only !== undefined && !(ONLY as readonly string[]).includes(only)) {
    process.stderr.write(`--only must be ${ONLY.join(', ')}, not ${only}\n\n${HELP}\n`);
    return 2;
  }
  const counts = (values.subscribers ?? (quick ? '1000' : '1000,10000')).split(',').map(Number);
  if (counts.some((n) => !Number.isInteger(n) || n < 1)) {
    process.stderr.write(`--subscribers takes a comma list of positive integers, not ${values.subscribers ?? ''}\n`);
    return 2;
  }
  const startedAt = new Date().toISOString();
  const rows: RatioRow[] = [];
  const fanout: BenchResults[] = [];
  const runs = (name: (typeof ONLY)[number]) => only === undefined || only === name;
  if (runs('fanout')) {
    for (const n of counts) {
      const r = await runBenchCli<BenchResults>('fan-out', FANOUT, ['--server', 'all', '--scenarios', 'a,b', '--subscribers', String(n), ...(quick ? ['--quick'] : [])]);
      fanout.push(r);
      rows.push(...fanoutRatioRows(r, n));
    }
  }
  let scale: ScaleResults | undefined;
  if (runs('scale')) {
    scale = await runBenchCli<ScaleResults>('scale', SCALE, quick ? ['--quick'] : []);
    rows.push(...scaleRatioRows(scale));
  }
  let http;
  if (runs('http')) {
    const cpu = planCpus(readHostLimits(), true);
    http = await runHttpBench({ connections: 100, durationS: quick ? 3 : 10, warmupS: quick ? 1 : 2, path: undefined, tool: 'auto', servers: [...HTTP_SERVERS], rounds: quick ? 1 : 3 }, cpu, (line) => process.stderr.write(`${line}\n`));
    rows.push(...httpRatioRows(http));
  }
  process.stdout.write(`\nSuperNova against its baselines, measured in this run (${startedAt}):\n\n${ratioTable(rows)}\n`);
  const file = writeResultFile('bench', startedAt, { startedAt, finishedAt: new Date().toISOString(), rows, fanout, scale, http });
  process.stdout.write(`\nresults: ${file}\n`);
  return 0;
}

runCli('bench', main);
