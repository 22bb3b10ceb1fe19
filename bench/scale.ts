/**
 * `npm run bench:scale`: N idle subscribers on one machine, held by several server processes on
 * one port, for SuperNova and for bare uWebSockets.js; memory per connection and liveness.
 */
import { UsageError } from './cli/options.js';
import { BenchChild } from './orchestrator/bench-child.js';
import { planCpus } from './orchestrator/cpu-plan.js';
import { freeLoopbackPort } from './orchestrator/free-port.js';
import { FD_RESERVE, readHostLimits, sourceAddressPlan } from './orchestrator/host-limits.js';
import { writeResultFile } from './orchestrator/paths.js';
import { runCli } from './orchestrator/run-cli.js';
import { parseScaleOptions, SCALE_HELP, scaleLayout, type ScaleOptions } from './scale/options.js';
import { scaleTable, scaleVerdict, type ScaleResults } from './scale/scale-report.js';
import { runScale, type ScaleContext } from './scale/scale-run.js';

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function main(): Promise<number> {
  let o: ScaleOptions;
  let layout: ReturnType<typeof scaleLayout>;
  const host = readHostLimits();
  try {
    const parsed = parseScaleOptions(process.argv.slice(2));
    if (parsed === 'help') {
      process.stdout.write(`${SCALE_HELP}\n`);
      return 0;
    }
    o = parsed;
    layout = scaleLayout(o, host.maxOpenFiles - FD_RESERVE);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${err instanceof UsageError || err instanceof TypeError ? SCALE_HELP : ''}\n`);
    return 2;
  }
  const cpu = planCpus(host, o.pin);
  const { sourceAddresses, perAddress } = sourceAddressPlan(o.subscribers, host);
  const port = await freeLoopbackPort();
  // Each child's hard limit: start-up, the ramp, the hold, warm-up and publish phases with their drains.
  const childLifetimeMs = 2 * (60_000 + o.subscribers * 5 + o.holdMs + o.publishMs + 20_000) + 60_000;
  const watchdog = setTimeout(() => {
    log('bench:scale: overall time limit exceeded; ending the child processes');
    BenchChild.killAll();
    process.exit(3);
  }, childLifetimeMs * o.servers.length + 60_000);
  watchdog.unref();

  log(`scale benchmark: ${o.subscribers.toLocaleString('en-US')} idle subscribers, servers ${o.servers.join(' + ')}${o.quick ? ' (quick)' : ''}`);
  log(`cores: ${host.cores}; open-file limit ${host.maxOpenFiles} per process (${FD_RESERVE} kept spare); ${layout.processes} server processes on port ${port}; ${layout.workers} load worker process(es); source addresses ${sourceAddresses.length ? sourceAddresses.join(', ') : '127.0.0.1 (kernel default)'}`);
  log(`cpu split: ${cpu.description}`);

  const ctx: ScaleContext = { options: o, cpu, port, processes: layout.processes, workers: layout.workers, sourceAddresses, perAddress, childLifetimeMs, log };
  const results: ScaleResults = {
    schema: 'supernova.scale/1',
    startedAt: new Date().toISOString(),
    finishedAt: '',
    machine: { cores: host.cores, maxOpenFiles: host.maxOpenFiles, node: process.version, cpuPlan: cpu.description, serverProcesses: layout.processes, loadWorkers: layout.workers, sourceAddresses, port },
    options: { ...o },
    runs: {},
  };
  for (const kind of o.servers) {
    log(`\n[${kind}] ${o.subscribers.toLocaleString('en-US')} subscribers on ${layout.processes} processes`);
    results.runs[kind] = await runScale(kind, ctx);
  }
  results.finishedAt = new Date().toISOString();

  const out = process.stdout;
  out.write(`\nCPU split: ${cpu.description}\n`);
  out.write(`${layout.processes} server processes share 127.0.0.1:${port} (SO_REUSEPORT); ${layout.workers} load worker process(es); each server process publishes ${o.rate}/s to its own subscribers (the embedded broker shares no channel across processes).\n\n`);
  out.write(`${scaleTable(results)}\n\n${scaleVerdict(results)}\n`);
  const file = writeResultFile('scale', results.startedAt, results);
  out.write(`\nresults: ${file}\n`);
  clearTimeout(watchdog);
  return 0;
}

runCli('bench:scale', main);
