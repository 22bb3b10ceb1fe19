/**
 * `npm run bench:fanout`: SuperNova's fan-out against bare uWebSockets.js on this machine.
 * The orchestrator only starts processes, reads /proc and prints; all load is in child processes.
 */
import { autoSatStart, HELP, parseOptions, rateLadder, SAT_START_MSGS, UsageError, type BenchOptions, type ServerKind } from './cli/options.js';
import { BenchChild } from './orchestrator/bench-child.js';
import { planCpus } from './orchestrator/cpu-plan.js';
import { FD_RESERVE, readHostLimits, sourceAddressPlan, type HostLimits } from './orchestrator/host-limits.js';
import { writeResultFile } from './orchestrator/paths.js';
import { runCli } from './orchestrator/run-cli.js';
import { detailTable, summaryTable, type BenchResults } from './orchestrator/report.js';
import { NOISY_PCT, saturate, steady, SUSTAINED, withSetup, type RunContext } from './orchestrator/scenarios.js';

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function plan(o: BenchOptions, host: HostLimits): { workers: number; sourceAddresses: string[]; perAddress: number } {
  const perProcess = host.maxOpenFiles - FD_RESERVE;
  if (o.subscribers > perProcess) {
    throw new UsageError(`--subscribers ${o.subscribers} exceeds what one server process can hold: the open-file limit is ${host.maxOpenFiles} and ${FD_RESERVE} handles stay spare (max ${perProcess})`);
  }
  const workers = o.workers ?? Math.max(1, Math.ceil(o.subscribers / perProcess));
  if (Math.ceil(o.subscribers / workers) > perProcess) throw new UsageError(`--workers ${workers} leaves more than ${perProcess} sockets to one worker; use more workers`);
  return { workers, ...sourceAddressPlan(o.subscribers, host) };
}

async function main(): Promise<number> {
  let o: BenchOptions;
  try {
    const parsed = parseOptions(process.argv.slice(2));
    if (parsed === 'help') {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    o = parsed;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  const host = readHostLimits();
  let layout: ReturnType<typeof plan>;
  try {
    layout = plan(o, host);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  const cpu = planCpus(host, o.pin);
  // Each server's ladder starts near its expected limit's first tenth, so a baseline that saturates
  // 100x lower (Socket.IO) still gets steps that hold before the one that fails.
  const satStartOf = (kind: ServerKind) => o.satStart ?? autoSatStart(o.subscribers, SAT_START_MSGS[kind]);
  const ladderOf = (kind: ServerKind) => rateLadder(satStartOf(kind), o.satMax, o.maxSteps);
  const ladder = ladderOf('supernova');
  const satStart = satStartOf('supernova');
  const warmupRateOf = (kind: ServerKind) => Math.min(o.rate, satStartOf(kind));
  const channels = Array.from({ length: o.channels }, (_, i) => `bench:${i}`);
  const drainAndSlack = 5000 + 3000;
  // Each child's hard limit: ramp-up, every phase it may see with its drain, and a wide margin.
  const childLifetimeMs = 2 * (60_000 + o.subscribers * 5 + 2 * o.steadyMs + ladder.length * (o.stepMs + drainAndSlack)) + 60_000;
  const setups = (o.scenarios.includes('a') || o.scenarios.includes('b') ? 1 : 0) + (o.scenarios.includes('c') ? 1 : 0);
  const watchdog = setTimeout(() => {
    log('bench: overall time limit exceeded; ending the child processes');
    BenchChild.killAll();
    process.exit(3);
  }, childLifetimeMs * setups * o.servers.length + 60_000);
  watchdog.unref();

  log(`fan-out benchmark: ${o.subscribers.toLocaleString('en-US')} subscribers, rate ${o.rate}/s per channel, servers ${o.servers.join(' + ')}, SuperNova fan-out batch ${o.batch ?? 'default (16)'}, scenarios ${o.scenarios.join(',')}${o.quick ? ' (quick)' : ''}`);
  log(`cores: ${host.cores}; open-file limit ${host.maxOpenFiles}; ${layout.workers} load worker process(es); source addresses ${layout.sourceAddresses.length ? layout.sourceAddresses.join(', ') : '127.0.0.1 (kernel default)'}`);
  log(`cpu split: ${cpu.description}`);
  for (const kind of o.servers) log(`saturation ladder of ${kind} (publications/s): ${ladderOf(kind).join(', ')}`);
  log(`saturation: sustained = delivered rate >= ${SUSTAINED.minRateRatio * 100} % of the offered rate, p99 <= ${SUSTAINED.maxP99Ms} ms, no disconnects`);

  const ctx: RunContext = { options: o, cpu, workers: layout.workers, sourceAddresses: layout.sourceAddresses, perAddress: layout.perAddress, childLifetimeMs, log };
  const results: BenchResults = {
    startedAt: new Date().toISOString(),
    finishedAt: '',
    machine: { cores: host.cores, maxOpenFiles: host.maxOpenFiles, node: process.version, cpuPlan: cpu.description, workers: layout.workers, sourceAddresses: layout.sourceAddresses },
    options: { ...o, ladders: Object.fromEntries(o.servers.map((k) => [k, ladderOf(k)])), satStart },
    single: {},
    multi: {},
  };

  if (o.scenarios.includes('a') || o.scenarios.includes('b')) {
    for (const kind of o.servers) {
      log(`\n[${kind}] 1 channel, ${o.subscribers} subscribers`);
      results.single[kind] = await withSetup(kind, ['bench:0'], ctx, warmupRateOf(kind), async (server, fleet) => ({
        ...(o.scenarios.includes('a') ? { steady: await steady(server, fleet, ctx, ['bench:0'], '(a)') } : {}),
        ...(o.scenarios.includes('b') ? { saturation: await saturate(server, fleet, ctx, ['bench:0'], ladderOf(kind)) } : {}),
      }));
    }
  }
  if (o.scenarios.includes('c')) {
    for (const kind of o.servers) {
      log(`\n[${kind}] ${o.channels} channels, ${o.subscribers} subscribers spread evenly`);
      results.multi[kind] = await withSetup(kind, channels, ctx, warmupRateOf(kind), async (server, fleet) => ({ steady: await steady(server, fleet, ctx, channels, '(c)') }));
    }
  }
  results.finishedAt = new Date().toISOString();

  const out = process.stdout;
  out.write(`\nCPU split: ${cpu.description}\n`);
  out.write(`Load: ${layout.workers} worker process(es), ${o.subscribers.toLocaleString('en-US')} WebSocket subscribers; publisher loop inside the server process, batches every ${o.tickMs} ms.\n\n`);
  for (const baseline of o.servers) {
    if (baseline === 'supernova') continue;
    out.write(`${summaryTable(results, { subscribers: o.subscribers, rate: o.rate, channels: o.channels }, baseline)}\n\n`);
  }
  const pb = results.single.protobuf?.result;
  const js = results.single.supernova?.result;
  if (pb && js) {
    // The same engine, subscribers on protobuf against subscribers on JSON, in this run.
    const ratio = (p: number | undefined, j: number | undefined) => (p !== undefined && j !== undefined && j > 0 ? (p / j).toFixed(2) : '-');
    out.write(`protobuf / JSON subscribers: (a) delivered msgs/s ${ratio(pb.steady?.deliveredPerS, js.steady?.deliveredPerS)}, `
      + `(b) max sustained msgs/s ${ratio(pb.saturation?.maxSustainedPerS, js.saturation?.maxSustainedPerS)} (target >= 0.90)\n\n`);
  }
  out.write(`Every phase (deliv/exp = delivered rate while publishing / offered rate; total = received after the drain wait / expected; cpu in % of one core; core0/core1 = whole-core busy incl. kernel; other = busy time of neither server nor load, i.e. other processes; * = measured again because the first try was disturbed; (b)~ = refinement step):\n`);
  out.write(`${detailTable(results)}\n\n`);
  for (const kind of o.servers) {
    const sat = results.single[kind]?.result.saturation;
    if (!sat) continue;
    out.write(`saturation ${kind}: stopped ${sat.stoppedBecause}\n`);
    const limit = sat.steps.find((s) => !s.ok && !s.refinement) ?? sat.steps[sat.steps.length - 1];
    if (limit) {
      out.write(`  at R=${limit.ratePerChannel}/s the server used ${limit.serverCpuPct.toFixed(0)} % of its core (${limit.serverSysPct.toFixed(0)} % in the kernel), `
        + `the load worker(s) ${limit.loadCpuPct.toFixed(0)} % (${limit.loadSysPct.toFixed(0)} % in the kernel)\n`);
    }
  }
  const phases = [
    ...Object.values(results.single).flatMap((s) => [...(s?.result.steady ? [s.result.steady] : []), ...(s?.result.saturation?.steps ?? [])]),
    ...Object.values(results.multi).map((m) => m.result.steady),
  ];
  const noisy = phases.filter((p) => p.otherCpuPct > NOISY_PCT).length;
  if (noisy > 0) out.write(`\nwarning: in ${noisy} of ${phases.length} phases more than ${NOISY_PCT} % of a core went to other processes: the machine was not quiet, compare with care\n`);
  const file = writeResultFile('fanout', results.startedAt, results);
  out.write(`\nresults: ${file}\n`);
  clearTimeout(watchdog);
  return 0;
}

runCli('bench:fanout', main);
