/**
 * `npm run bench:cluster`: SuperNova nodes sharing channels over Redis, on this machine. (1) one
 * publisher's node apart from its subscribers' against both on one node; (2) 50,000 subscribers
 * over three nodes against raw uWebSockets.js processes publishing locally. The orchestrator only
 * starts processes, reads /proc and prints; all load is in child processes.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { openFileBudget } from '../src/config/index.js';
import { UsageError } from './cli/options.js';
import { noiseWarnings, pairTable, pairVerdicts, spreadTable, spreadVerdict, type ClusterResults } from './cluster/cluster-report.js';
import type { ClusterContext } from './cluster/context.js';
import { CLUSTER_HELP, parseClusterOptions, spreadLayout, type ClusterOptions } from './cluster/options.js';
import { runPairs } from './cluster/pair-run.js';
import { deletePrefix, openRedisRun } from './cluster/redis-run.js';
import { runSpread } from './cluster/spread-run.js';
import { BenchChild } from './orchestrator/bench-child.js';
import { planCpus } from './orchestrator/cpu-plan.js';
import { FD_RESERVE, readHostLimits, sourceAddressPlan } from './orchestrator/host-limits.js';
import { runDir, writeRunResult } from './orchestrator/paths.js';
import { runCli } from './orchestrator/run-cli.js';

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

const PUBLISH_VIA = 'server API: POST /api/publish from a separate publisher process (keep-alive connections, a bounded number of requests in flight); the data carries {ts, seq}, ts stamped as the request is written and read at receipt by the load process on the same machine clock';

/** What an interrupted run still removes: its keys in the shared Redis, once it has a prefix. */
let cleanup: () => Promise<unknown> = async () => {};

async function main(): Promise<number> {
  const host = readHostLimits();
  let o: ClusterOptions;
  let perNode: number[];
  try {
    const parsed = parseClusterOptions(process.argv.slice(2));
    if (parsed === 'help') {
      process.stdout.write(`${CLUSTER_HELP}\n`);
      return 0;
    }
    o = parsed;
    // A node and the load process that holds its subscribers both stay under the open-file limit.
    perNode = spreadLayout(o, Math.min(host.maxOpenFiles - FD_RESERVE, openFileBudget(host.maxOpenFiles).maxConnections));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${err instanceof UsageError || err instanceof TypeError ? CLUSTER_HELP : ''}\n`);
    return 2;
  }
  const cpu = planCpus(host, o.pin);
  const redis = await openRedisRun(o.redisUrl);
  cleanup = () => deletePrefix(redis);
  const startedAt = new Date().toISOString();
  // Each child's hard limit: start-up and ramps, every phase it may see (the pair's nodes live
  // through all rounds of both setups) with its drain (up to 30 s) and a second try, and a margin.
  const drain = 30_000;
  const pairMs = 2 * o.pairRounds * (o.pairMs + drain) + 2 * 2 * (o.pairMaxMs + drain);
  const spreadMs = 2 * (o.spreadMs + drain);
  const childLifetimeMs = 2 * (120_000 + o.spreadSubscribers * 5 + pairMs + spreadMs) + 60_000;
  const watchdog = setTimeout(() => {
    log('bench:cluster: overall time limit exceeded; ending the child processes');
    BenchChild.killAll();
    void deletePrefix(redis).finally(() => process.exit(3));
  }, childLifetimeMs * 3);
  watchdog.unref();

  const cpuText = cpu.pinned
    ? `${host.cores} cores shared by servers and load: CPU ${cpu.serverCpus} every SuperNova node and raw uWebSockets.js process; CPU ${cpu.loadCpus} the load processes, the server API publisher and this orchestrator; Redis ${redis.version} (the machine's, ${redis.pid === undefined ? 'not on this machine' : `pid ${redis.pid}`}) is not pinned: the scheduler runs it on either core`
    : cpu.description;
  log(`cluster benchmark: ${o.parts.join(' + ')}${o.quick ? ' (quick)' : ''}; Redis ${redis.url} under the prefix ${redis.prefix} (deleted at the end)`);
  log(`cores: ${host.cores}; open-file limit ${host.maxOpenFiles} per process; ${cpuText}`);
  log(`publisher: ${PUBLISH_VIA}`);

  const ctx: ClusterContext = {
    options: o, cpu, redis, apiKey: randomUUID(), childLifetimeMs, log,
    sourceAddressesFor: (n) => sourceAddressPlan(n, host),
    profileDir: o.cpuProf ? join(runDir('cluster', startedAt), 'profiles') : undefined,
  };
  const results: ClusterResults = {
    schema: 'supernova.cluster/1', startedAt, finishedAt: '',
    machine: { cores: host.cores, maxOpenFiles: host.maxOpenFiles, node: process.version, cpuPlan: cpuText, redis: `${redis.version} at ${redis.url}`, redisLocal: redis.pid !== undefined },
    options: { ...o }, publishVia: PUBLISH_VIA, verdicts: [],
  };
  try {
    if (o.parts.includes('pair')) {
      log(`\n(1) ${o.pairSubscribers} subscribers and the publisher on a single node (memory broker), and ${o.pairSubscribers} subscribers on node A with the publisher on node B (Redis broker), side by side`);
      const { single, cross } = await runPairs(ctx);
      results.pair = { single, cross };
      results.verdicts.push(...pairVerdicts(single, cross));
    }
    if (o.parts.includes('spread')) {
      log(`\n(2) SuperNova: ${o.spreadSubscribers.toLocaleString('en-US')} subscribers over ${perNode.length} nodes on Redis, ${o.spreadRate}/s published on node 1 for ${o.spreadMs / 1000} s`);
      const supernova = await runSpread('supernova', perNode, ctx);
      log(`\n(2) raw uWebSockets.js: ${perNode.length} processes, each publishing ${o.spreadRate}/s to its own subscribers`);
      const raw = await runSpread('raw', perNode, ctx);
      results.spread = { perNode, supernova, raw };
      results.verdicts.push(spreadVerdict(supernova));
    }
  } finally {
    const deleted = await deletePrefix(redis).catch((err: unknown) => {
      log(`could not delete the keys under ${redis.prefix}: ${(err as Error).message}`);
      return 0;
    });
    log(`\nRedis: ${deleted} keys under ${redis.prefix} deleted`);
  }
  results.finishedAt = new Date().toISOString();

  const out = process.stdout;
  out.write(`\nCPU split: ${cpuText}\nPublisher: ${PUBLISH_VIA}\n`);
  if (results.pair) {
    out.write(`\n(1) ${o.pairSubscribers.toLocaleString('en-US')} subscribers of one channel on node A, publisher on node B (Redis broker), against subscribers and publisher on one node (memory broker); * = judged by a target\n`);
    out.write(`${pairTable(results.pair.single, results.pair.cross)}\n`);
  }
  if (results.spread) {
    const { supernova, raw } = results.spread;
    out.write(`\n(2) ${supernova.subscribers.toLocaleString('en-US')} subscribers of one channel over ${perNode.length} processes, ${o.spreadRate} publications/s for ${o.spreadMs / 1000} s: SuperNova nodes on Redis with one publisher on node 1; raw uWebSockets.js processes each publishing locally to their own subscribers\n`);
    out.write(`${spreadTable(supernova, raw)}\n`);
  }
  out.write(`\nTargets:\n${results.verdicts.map((v) => `  ${v}`).join('\n')}\n`);
  const noisy = noiseWarnings(results);
  if (noisy.length > 0) out.write(`\nwarning: the machine was not quiet, compare with care:\n${noisy.map((n) => `  ${n}`).join('\n')}\n`);
  if (ctx.profileDir) out.write(`\nCPU profiles of the nodes: ${ctx.profileDir}\n`);
  const file = writeRunResult('cluster', startedAt, results);
  out.write(`\nresults: ${file}\n`);
  clearTimeout(watchdog);
  return 0;
}

runCli('bench:cluster', main, () => cleanup());
