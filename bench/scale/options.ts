import { parseArgs } from 'node:util';
import { BENCH_FLAGS, num, UsageError, valueOptions } from '../cli/options.js';

export type ScaleServerKind = 'supernova' | 'raw';
export const SCALE_SERVER_KINDS: readonly ScaleServerKind[] = ['supernova', 'raw'];

export interface ScaleOptions {
  subscribers: number;
  /** Server processes sharing one port; undefined: the fewest the open-file limit allows (at least 2). */
  processes: number | undefined;
  workers: number | undefined;
  /** How long the idle connections are held before memory is read. */
  holdMs: number;
  /** Publications/s of each server process into its channel during the publish phase. */
  rate: number;
  publishMs: number;
  servers: ScaleServerKind[];
  pin: boolean;
  quick: boolean;
}

/** The issue's scale target: this many idle subscribers on one node with the servers' RSS under the limit. */
export const SCALE_TARGET = { subscribers: 50_000, maxRssMiB: 1024 } as const;

export const SCALE_HELP = `npm run bench:scale -- [options]

Scale benchmark: N idle subscribed WebSocket connections on one machine, held by several server
processes listening on one port (SO_REUSEPORT: the kernel spreads the connections), for SuperNova
and then for bare uWebSockets.js. Reports the servers' total RSS (VmRSS from /proc, each process
baselined before any connection), KiB per connection and connect time, then a short publish phase
(delivered/expected, p50/p99) showing every connection is live. Target: RSS < 1 GiB at 50,000.

Options
  --subscribers N   connections (default ${SCALE_TARGET.subscribers}; --quick 3000)
  --processes P     server processes sharing the port (default: the fewest that hold N
                    with 1,000 file handles spare each and 10 % slack for the kernel's
                    uneven spread; at least 2)
  --workers W       load worker processes (default: the fewest the open-file limit allows)
  --hold S          seconds the idle connections are held before memory is read
                    (default 30, past one server ping round; --quick 3)
  --rate R          publications/s of each server process in the publish phase (default 2)
  --duration S      seconds of the publish phase (default 10; --quick 3)
  --server K        supernova | raw | both (default both)
  --no-pin          do not pin processes to cores with taskset
  --quick           small and short: a fast check that everything works
  --help            this text

Results: a table on stdout, and JSON in bench/results/scale-<timestamp>.json.`;

export function parseScaleOptions(argv: string[]): ScaleOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: { ...valueOptions('subscribers', 'processes', 'workers', 'hold', 'rate', 'duration', 'server'), ...BENCH_FLAGS },
  });
  if (values.help) return 'help';
  const quick = values.quick === true;
  const server = values.server ?? 'both';
  const servers = server === 'both' ? [...SCALE_SERVER_KINDS] : [server];
  for (const s of servers) if (!SCALE_SERVER_KINDS.includes(s as ScaleServerKind)) throw new UsageError(`--server must be supernova, raw or both, not ${s}`);
  return {
    subscribers: Math.round(num('subscribers', values.subscribers, quick ? 3000 : SCALE_TARGET.subscribers, 1, 1_000_000)),
    processes: values.processes === undefined ? undefined : Math.round(num('processes', values.processes, 2, 1, 64)),
    workers: values.workers === undefined ? undefined : Math.round(num('workers', values.workers, 1, 1, 64)),
    holdMs: num('hold', values.hold, quick ? 3 : 30, 0, 3600) * 1000,
    rate: num('rate', values.rate, 2, 0.1, 10_000),
    publishMs: num('duration', values.duration, quick ? 3 : 10, 0.5, 600) * 1000,
    servers: servers as ScaleServerKind[],
    pin: values['no-pin'] !== true,
    quick,
  };
}

/** How the connections are split over processes; refuses a split the open-file limit cannot hold. */
export interface ScaleLayout {
  processes: number;
  workers: number;
}

/** Share of a process' open-file budget planned for connections: SO_REUSEPORT spreads by hash, not evenly. */
const SPREAD_SLACK = 0.9;

export function scaleLayout(o: Pick<ScaleOptions, 'subscribers' | 'processes' | 'workers'>, socketsPerProcess: number): ScaleLayout {
  const perServer = Math.floor(socketsPerProcess * SPREAD_SLACK);
  const processes = o.processes ?? Math.max(2, Math.ceil(o.subscribers / perServer));
  if (o.subscribers / processes > perServer) {
    throw new UsageError(`--processes ${processes} leaves about ${Math.ceil(o.subscribers / processes)} connections to each server process; with the open-file limit at most ${perServer} fit (${socketsPerProcess} minus 10 % for the kernel's uneven spread): use more processes`);
  }
  const workers = o.workers ?? Math.max(1, Math.ceil(o.subscribers / socketsPerProcess));
  if (Math.ceil(o.subscribers / workers) > socketsPerProcess) throw new UsageError(`--workers ${workers} leaves more than ${socketsPerProcess} sockets to one worker; use more workers`);
  return { processes, workers };
}
