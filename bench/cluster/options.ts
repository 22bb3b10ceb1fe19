import { parseArgs } from 'node:util';
import { BENCH_FLAGS, num, UsageError, valueOptions } from '../cli/options.js';

export type ClusterPart = 'pair' | 'spread';
export const CLUSTER_PARTS: readonly ClusterPart[] = ['pair', 'spread'];

export interface ClusterOptions {
  parts: ClusterPart[];
  redisUrl: string;
  /** (1) subscribers on node A, and on the single node. */
  pairSubscribers: number;
  /** (1) publications/s of the latency phases. */
  pairRate: number;
  pairMs: number;
  /** (1) latency phases per setup, alternating between the setups. */
  pairRounds: number;
  /** (1) publications/s offered in the throughput phase: more than one node delivers. */
  pairMaxRate: number;
  pairMaxMs: number;
  /** (2) subscribers over all nodes, and over the raw peers. */
  spreadSubscribers: number;
  spreadNodes: number;
  spreadRate: number;
  spreadMs: number;
  /** Server API requests the publisher keeps in flight. */
  inFlight: number;
  pin: boolean;
  cpuProf: boolean;
  quick: boolean;
}

/** The targets for `npm run bench:cluster`. */
export const CLUSTER_TARGET = {
  /** Cross-node p99 at most single-node p99 plus this. */
  p99SlackMs: 5,
  /** Cross-node delivered throughput at least this share of single-node's. */
  minThroughputRatio: 0.7,
  /** Share of expected messages the 50,000 subscribers must get. */
  minDelivered: 0.99,
  spreadSubscribers: 50_000,
} as const;

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export const CLUSTER_HELP = `npm run bench:cluster -- [options]

Scale-out on Redis, SuperNova nodes as child processes (SUPERNOVA_FEED=none, an API key; the
Redis broker under a prefix of this run's own, its keys deleted at the end). One run measures:

(1) pair: 2 nodes, N subscribers of one channel on node A, publisher on node B, against the same
    subscribers and publisher on a single node with the memory broker; the publisher is a
    separate process using the server API (POST /api/publish). Both setups stay up side by
    side; at the same offered load for both: latency phases at --rate, alternating between the
    setups (median p50/p99 over the rounds; target: cross-node p99 <= single-node p99 + 5 ms),
    then a throughput phase at --max-rate, more than one node delivers (delivered msgs/s;
    target: cross-node >= 0.7x single-node).
(2) spread: M subscribers of one channel over P nodes (M/P each, one load process each), one
    publisher on node 1 at --spread-rate: delivered fraction (target >= 99 %), p50/p99, RSS per
    node; beside P raw uWebSockets.js processes, each publishing locally to its own M/P
    subscribers at the same rate (the baseline), same run.

Options
  --only PART          pair | spread (default both)
  --redis URL          Redis for the nodes (default $SUPERNOVA_REDIS_URL, else ${DEFAULT_REDIS_URL})
  --subscribers N      (1) subscribers (default 5000; --quick 1000)
  --rate R             (1) publications/s of the latency phases (default 10)
  --duration S         (1) seconds of each latency phase (default 6; --quick 2)
  --rounds K           (1) latency phases per setup, alternating between the setups;
                       the medians are compared (default 5; --quick 2)
  --max-rate R         (1) publications/s offered in the throughput phase (default 1000)
  --max-duration S     (1) seconds of the throughput phase (default 5; --quick 2)
  --spread-subscribers M  (2) subscribers over all nodes (default 50000; --quick 3000)
  --nodes P            (2) nodes, and raw peers (default 3)
  --spread-rate R      (2) publications/s (default 10)
  --spread-duration S  (2) seconds of publishing (default 30; --quick 5)
  --in-flight K        server API requests the publisher keeps in flight (default 16)
  --cpu-prof           the SuperNova nodes write V8 CPU profiles into the run's directory
  --no-pin             do not pin processes to cores with taskset
  --quick              small and short: a fast check that everything works
  --help               this text

Results: a table on stdout, and JSON in bench/results/cluster-<timestamp>/result.json.`;

export function parseClusterOptions(argv: string[], env: Record<string, string | undefined> = process.env): ClusterOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      ...valueOptions('only', 'redis', 'subscribers', 'rate', 'duration', 'rounds', 'max-rate', 'max-duration', 'spread-subscribers', 'nodes', 'spread-rate', 'spread-duration', 'in-flight'),
      'cpu-prof': { type: 'boolean' },
      ...BENCH_FLAGS,
    },
  });
  if (values.help) return 'help';
  const quick = values.quick === true;
  const only = values.only;
  if (only !== undefined && !CLUSTER_PARTS.includes(only as ClusterPart)) throw new UsageError(`--only must be pair or spread, not ${only}`);
  const redisUrl = values.redis ?? env.SUPERNOVA_REDIS_URL ?? DEFAULT_REDIS_URL;
  if (!/^rediss?:\/\/\S+$/.test(redisUrl)) throw new UsageError(`--redis must be a redis:// or rediss:// URL, not ${redisUrl}`);
  return {
    parts: only === undefined ? [...CLUSTER_PARTS] : [only as ClusterPart],
    redisUrl,
    pairSubscribers: Math.round(num('subscribers', values.subscribers, quick ? 1000 : 5000, 1, 19_000)),
    pairRate: num('rate', values.rate, 10, 0.1, 100_000),
    pairMs: num('duration', values.duration, quick ? 2 : 6, 0.5, 3600) * 1000,
    pairRounds: Math.round(num('rounds', values.rounds, quick ? 2 : 5, 1, 100)),
    pairMaxRate: num('max-rate', values['max-rate'], 1000, 0.1, 100_000),
    pairMaxMs: num('max-duration', values['max-duration'], quick ? 2 : 5, 0.5, 600) * 1000,
    spreadSubscribers: Math.round(num('spread-subscribers', values['spread-subscribers'], quick ? 3000 : CLUSTER_TARGET.spreadSubscribers, 1, 1_000_000)),
    spreadNodes: Math.round(num('nodes', values.nodes, 3, 1, 32)),
    spreadRate: num('spread-rate', values['spread-rate'], 10, 0.1, 10_000),
    spreadMs: num('spread-duration', values['spread-duration'], quick ? 5 : 30, 0.5, 3600) * 1000,
    inFlight: Math.round(num('in-flight', values['in-flight'], 16, 1, 1024)),
    pin: values['no-pin'] !== true,
    cpuProf: values['cpu-prof'] === true,
    quick,
  };
}

/**
 * Subscribers per node in (2): each node, and the one load process that holds its subscribers,
 * must stay under the open-file limit (`socketsPerProcess`: the limit less the handles kept spare).
 */
export function spreadLayout(o: Pick<ClusterOptions, 'spreadSubscribers' | 'spreadNodes'>, socketsPerProcess: number): number[] {
  const per = Array.from({ length: o.spreadNodes }, (_, i) => Math.floor(o.spreadSubscribers / o.spreadNodes) + (i < o.spreadSubscribers % o.spreadNodes ? 1 : 0));
  const most = per[0] ?? 0;
  if (most > socketsPerProcess) {
    throw new UsageError(`--spread-subscribers ${o.spreadSubscribers} over --nodes ${o.spreadNodes} leaves ${most} connections to a node and to its load process; the open-file limit allows ${socketsPerProcess}: use more nodes`);
  }
  return per;
}
