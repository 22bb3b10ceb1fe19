/**
 * `npm run bench`: every benchmark of bench/, each measuring SuperNova and its baselines in the
 * same run, then one table of ratios. The fan-out benchmark runs as its own process (it manages
 * its children and the open-file limit); the HTTP benchmark runs here.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BenchChild } from './orchestrator/bench-child.js';
import { planCpus } from './orchestrator/cpu-plan.js';
import { fanoutRatioRows } from './orchestrator/fanout-rows.js';
import { readHostLimits } from './orchestrator/host-limits.js';
import { resultsDir } from './orchestrator/paths.js';
import type { BenchResults } from './orchestrator/report.js';
import { httpRatioRows } from './http/http-rows.js';
import { HTTP_SERVERS, runHttpBench } from './http/http-bench.js';
import { ratioTable, type RatioRow } from './shared/ratio-table.js';

const HELP = `npm run bench -- [options]

Runs the fan-out benchmark (SuperNova, raw uWebSockets.js, ws, Socket.IO; saturation at each
subscriber count) and the HTTP benchmark (SuperNova, Fastify 5, node:http), then prints one
table of SN/baseline ratios with the issue's targets. Results: bench/results/bench-<timestamp>.json
(and each benchmark's own JSON beside it). Takes a while: see bench/README.md.

Options
  --subscribers LIST  fan-out subscriber counts (default 1000,10000; --quick 1000)
  --only NAME         fanout | http (default both)
  --quick             short phases everywhere: a fast check that everything runs
  --help              this text`;

const FANOUT = fileURLToPath(new URL('./fanout.js', import.meta.url));

/** Runs the fan-out CLI and returns its results file (the line `results: FILE` of its stdout). */
function runFanout(args: string[]): Promise<BenchResults> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FANOUT, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      process.stdout.write(d);
    });
    child.once('exit', (code) => {
      const file = /^results: (.+)$/m.exec(out)?.[1];
      if (code !== 0 || !file) reject(new Error(`fan-out benchmark failed (exit ${code ?? '-'})`));
      else resolve(JSON.parse(readFileSync(file, 'utf8')) as BenchResults);
    });
  });
}

async function main(): Promise<number> {
  const { values } = parseArgs({ args: process.argv.slice(2), strict: true, options: { subscribers: { type: 'string' }, only: { type: 'string' }, quick: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const quick = values.quick === true;
  const only = values.only;
  if (only !== undefined && only !== 'fanout' && only !== 'http') {
    process.stderr.write(`--only must be fanout or http, not ${only}\n\n${HELP}\n`);
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
  if (only !== 'http') {
    for (const n of counts) {
      const r = await runFanout(['--server', 'all', '--scenarios', 'a,b', '--subscribers', String(n), ...(quick ? ['--quick'] : [])]);
      fanout.push(r);
      rows.push(...fanoutRatioRows(r, n));
    }
  }
  let http;
  if (only !== 'fanout') {
    const cpu = planCpus(readHostLimits(), true);
    http = await runHttpBench({ connections: 100, durationS: quick ? 3 : 10, warmupS: quick ? 1 : 2, path: undefined, tool: 'auto', servers: [...HTTP_SERVERS] }, cpu, (line) => process.stderr.write(`${line}\n`));
    rows.push(...httpRatioRows(http));
  }
  process.stdout.write(`\nSuperNova against its baselines, measured in this run (${startedAt}):\n\n${ratioTable(rows)}\n`);
  const dir = resultsDir();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ startedAt, finishedAt: new Date().toISOString(), rows, fanout, http }, null, 2)}\n`);
  process.stdout.write(`\nresults: ${file}\n`);
  return 0;
}

process.on('SIGINT', () => {
  BenchChild.killAll();
  process.exit(130);
});

main().then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  BenchChild.killAll();
  process.exit(1);
});
