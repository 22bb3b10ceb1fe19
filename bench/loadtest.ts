/**
 * `npm run loadtest -- quick|comprehensive`: simulated users against SuperNova (the user's --url,
 * or one this suite starts), with a progress bar, a summary on stdout and a report directory.
 */
import { join } from 'node:path';
import { UsageError } from './cli/options.js';
import { BenchChild } from './orchestrator/bench-child.js';
import { planCpus } from './orchestrator/cpu-plan.js';
import { FD_RESERVE, readHostLimits } from './orchestrator/host-limits.js';
import { resultsDir } from './orchestrator/paths.js';
import { writeReport } from './report/write-report.js';
import { runComprehensive } from './loadtest/comprehensive.js';
import { COMMANDS_HELP, COMPREHENSIVE_HELP, parseComprehensive, parseQuick, QUICK_HELP, type ComprehensiveOptions, type QuickOptions } from './loadtest/options.js';
import { BarProgress } from './loadtest/progress.js';
import { runQuick } from './loadtest/quick.js';
import { newResult } from './loadtest/result.js';
import type { SuiteContext } from './loadtest/suite-context.js';
import { resultSummaryText } from './loadtest/summary-text.js';
import { ChildEngine, targetFromUrl, type LoadTarget } from './loadtest/target.js';

type Parsed = { command: 'quick'; o: QuickOptions } | { command: 'comprehensive'; o: ComprehensiveOptions };

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function parse(argv: string[]): Parsed | { help: string } {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return { help: COMMANDS_HELP };
  if (command === 'quick') {
    const o = parseQuick(rest);
    return o === 'help' ? { help: QUICK_HELP } : { command, o };
  }
  if (command === 'comprehensive') {
    const o = parseComprehensive(rest);
    return o === 'help' ? { help: COMPREHENSIVE_HELP } : { command, o };
  }
  throw new UsageError(`unknown command ${command}`);
}

/** The longest a run may take: its phases, plus connect and drain time per phase, doubled. */
function plannedMs(p: Parsed): number {
  if (p.command === 'quick') return p.o.durationMs;
  const o = p.o;
  return (o.phases.includes('load') ? o.loadMs : 0) + (o.phases.includes('stress') ? o.stressSteps * o.stressStepMs : 0)
    + (o.phases.includes('endurance') ? o.enduranceMs : 0) + (o.phases.includes('leak') ? o.leakMs : 0);
}

async function main(): Promise<number> {
  let parsed: Parsed;
  try {
    const p = parse(process.argv.slice(2));
    if ('help' in p) {
      process.stdout.write(`${p.help}\n`);
      return 0;
    }
    parsed = p;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${COMMANDS_HELP}\n`);
    return 2;
  }
  const o = parsed.o;
  const limitMs = 2 * plannedMs(parsed) + 120_000;
  const abort = new AbortController();
  let interrupts = 0;
  process.on('SIGINT', () => {
    interrupts++;
    if (interrupts === 1) {
      log('\nstopping: finishing the current phase early and writing a partial report (Ctrl-C again to quit at once)');
      abort.abort();
      return;
    }
    BenchChild.killAll();
    process.exit(130);
  });
  // Every run ends: past twice its planned time it is stopped like a Ctrl-C, then ended outright.
  setTimeout(() => {
    log('loadtest: time limit exceeded; stopping');
    abort.abort();
    setTimeout(() => {
      BenchChild.killAll();
      process.exit(3);
    }, 60_000).unref();
  }, limitMs).unref();

  const host = readHostLimits();
  const mostUsers = parsed.command === 'quick' ? o.users : Math.max(parsed.o.users, parsed.o.phases.includes('stress') ? parsed.o.stressMaxUsers : 0);
  if (mostUsers > host.maxOpenFiles - FD_RESERVE) {
    log(`loadtest: ${mostUsers} users need as many sockets in this one process, but the open-file limit is ${host.maxOpenFiles} (${FD_RESERVE} kept spare): raise it (ulimit -n) or use fewer users`);
    return 2;
  }
  // Pinning only applies to a server this suite starts: a remote --url is not ours to place.
  const cpu = planCpus(host, o.pin && o.url === undefined);
  let engine: ChildEngine | undefined;
  let target: LoadTarget;
  try {
    if (o.url) target = targetFromUrl(o.url, o.apiKey);
    else {
      engine = await ChildEngine.start(cpu, limitMs, o.apiKey);
      target = engine.target;
    }
  } catch (err) {
    log(`loadtest: ${(err as Error).message}`);
    return 2;
  }
  log(`loadtest ${parsed.command}: target ${target.wsUrl}${engine ? ' (SuperNova started by the suite)' : ''}; ${o.client} clients; publications via ${target.apiKey ? 'server API' : 'client publish'}`);
  log(`cpu split: ${engine ? cpu.description : 'target is remote: not pinned'}`);

  const result = newResult(parsed.command, o, { wsUrl: target.wsUrl, startedBySuite: engine !== undefined, apiKey: target.apiKey }, engine ? cpu.description : 'remote target');
  const progress = new BarProgress();
  const ctx: SuiteContext = { target, signal: abort.signal, progress, log: (line) => log(line) };
  try {
    if (parsed.command === 'quick') result.load = await runQuick(parsed.o, ctx);
    else await runComprehensive(parsed.o, ctx, result);
  } catch (err) {
    result.partial = true;
    result.stopReason = `failed: ${(err as Error).message}`;
  } finally {
    progress.stop();
    await engine?.stop();
  }
  if (abort.signal.aborted) {
    result.partial = true;
    result.stopReason ??= 'interrupted (Ctrl-C or time limit)';
  }
  result.finishedAt = new Date().toISOString();
  const dir = o.out ?? join(resultsDir(), `${parsed.command}-${result.startedAt.replace(/[:.]/g, '-')}`);
  process.stdout.write(`\n${resultSummaryText(result)}\n`);
  try {
    const written = await writeReport(result, dir);
    process.stdout.write(`\nresult: ${written.json}\nreport: ${written.html}\ncharts: ${written.pngs.length} PNG in ${join(dir, 'charts')}\n`);
  } catch (err) {
    log(`loadtest: could not write the report into ${dir}: ${(err as Error).message}`);
    return 1;
  }
  return result.partial && !abort.signal.aborted ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`loadtest: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    BenchChild.killAll();
    process.exit(1);
  },
);
