/**
 * `npm run bench:compare -- OTHER_CHECKOUT`: the engine run of `bench:pipeline` (b), for this
 * checkout's build and another's, in alternating child processes on one core, so that a change
 * can be judged against the machine's noise (about 10 % between runs of one build).
 *
 * Prepare the other build first, e.g. for the previous commit:
 *   git worktree add ../base HEAD~1 && ln -s "$PWD/node_modules" ../base/ && (cd ../base && npx tsc -p tsconfig.build.json)
 * Each child replays the recorded day `--runs` times through fresh engines (the first 3 untimed)
 * and reports the median; the parent alternates the builds `--pairs` times.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './shared/median.js';

const WARMUP_RUNS = 3;
const DEFAULT_FILE = '../shared/data/market/spy-2013-10-07/ticks.csv.gz';

interface ChildResult {
  engineMs: number;
  handMs: number;
}

async function child(root: string, runs: number, file: string): Promise<void> {
  const load = (path: string): Promise<Record<string, unknown>> => import(pathToFileURL(resolve(root, 'dist/bench/pipeline', path)).href) as Promise<Record<string, unknown>>;
  const { loadDayTicks } = (await load('day-ticks.js')) as { loadDayTicks: (f: string) => Promise<unknown[]> };
  const { benchEngine, pushAll, LATENESS_MS } = (await load('engine-run.js')) as {
    benchEngine: () => { start(): Promise<unknown>; stop(): Promise<void> };
    pushAll: (e: unknown, t: unknown[]) => Promise<{ elapsedMs: number }>;
    LATENESS_MS: number;
  };
  const { runHandLoop } = (await load('hand-loop.js')) as { runHandLoop: (t: unknown[], l: number) => { elapsedMs: number } };
  const ticks = await loadDayTicks(file);
  const engine: number[] = [];
  const hand: number[] = [];
  for (let i = 0; i < runs + WARMUP_RUNS; i++) {
    const h = runHandLoop(ticks, LATENESS_MS).elapsedMs;
    const e = benchEngine();
    await e.start();
    const ms = (await pushAll(e, ticks)).elapsedMs;
    await e.stop();
    if (i >= WARMUP_RUNS) {
      engine.push(ms);
      hand.push(h);
    }
  }
  const result: ChildResult = { engineMs: median(engine), handMs: median(hand) };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

function main(): number {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      pairs: { type: 'string', default: '6' },
      runs: { type: 'string', default: '22' },
      file: { type: 'string', default: DEFAULT_FILE },
      child: { type: 'string' },
    },
  });
  const runs = Number(values.runs);
  const pairs = Number(values.pairs);
  if (values.child) {
    child(values.child, runs, values.file).catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    });
    return -1;
  }
  const here = fileURLToPath(new URL('../..', import.meta.url));
  const other = positionals[0] ? resolve(positionals[0]) : undefined;
  if (!other || !existsSync(resolve(other, 'dist/bench/pipeline/engine-run.js'))) {
    process.stderr.write('usage: npm run bench:compare -- OTHER_CHECKOUT (with its dist built: see the top of bench/compare-builds.ts)\n');
    return 2;
  }
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(pairs) || pairs < 1) {
    process.stderr.write('--runs and --pairs must be positive integers\n');
    return 2;
  }
  let taskset: string[] = [];
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    taskset = ['taskset', '-c', '0'];
  } catch {
    process.stderr.write('taskset not usable: the children are not pinned\n');
  }
  const script = fileURLToPath(import.meta.url);
  const results: Record<'other' | 'this', ChildResult[]> = { other: [], this: [] };
  for (let p = 0; p < pairs; p++) {
    for (const [name, root] of [['other', other], ['this', here]] as const) {
      const [cmd, ...args] = [...taskset, process.execPath, script, '--child', root, '--runs', String(runs), '--file', values.file];
      const run = spawnSync(cmd as string, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      if (run.status !== 0) {
        process.stderr.write(`the ${name} build's child failed (exit ${run.status})\n`);
        return 1;
      }
      const result = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as ChildResult;
      results[name].push(result);
      process.stdout.write(`pair ${p + 1}, ${name.padEnd(5)}: engine ${result.engineMs.toFixed(1)} ms, hand loop ${result.handMs.toFixed(1)} ms, ratio ${(result.handMs / result.engineMs).toFixed(3)}\n`);
    }
  }
  const engineOf = (name: 'other' | 'this'): number => median(results[name].map((r) => r.engineMs));
  process.stdout.write(`median engine: other ${engineOf('other').toFixed(1)} ms, this ${engineOf('this').toFixed(1)} ms (this / other ${(engineOf('this') / engineOf('other')).toFixed(3)})\n`);
  return 0;
}

const code = main();
if (code >= 0) process.exit(code);
