import { parseArgs } from 'node:util';
import { BENCH_FLAGS, num, UsageError, valueOptions } from '../cli/options.js';
import { HTTP_SERVERS, type HttpBenchOptions, type HttpServerKind } from './http-bench.js';

export const HTTP_HELP = `npm run bench:http -- [options]

SuperNova's cached market snapshot route (or /performance/health on a build without it) against
the same route on Fastify 5 and on node:http, serving SuperNova's own response bytes. One server
at a time on CPU 0, the load generator (wrk with one thread if installed, else autocannon) on
CPU 1. Prints req/s, p50, p99 and SN/baseline ratios; JSON in bench/results/http-<timestamp>.json.

Options
  --connections N   concurrent connections (default 100)
  --duration S      seconds measured per server (default 10; --quick 3)
  --warmup S        seconds of unmeasured load first (default 2; --quick 1)
  --path P          route to measure (default /api/v1/market/AAPL, else /performance/health)
  --tool T          auto | wrk | autocannon (default auto: wrk when installed)
  --server LIST     any of ${HTTP_SERVERS.join(',')} (default all; uws is raw uWebSockets.js
                    serving the bytes: the transport's ceiling, not a target baseline)
  --rounds N        measure each server N times in rotating order, report the median (default 3;
                    --quick 1): this machine's speed drifts by more than the differences measured
  --no-pin          do not pin the server and the load to separate cores
  --quick           short runs: a fast check
  --help            this text`;

export function parseHttpOptions(argv: string[]): (HttpBenchOptions & { pin: boolean }) | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: { ...valueOptions('connections', 'duration', 'warmup', 'path', 'tool', 'server', 'rounds'), ...BENCH_FLAGS },
  });
  if (values.help) return 'help';
  const quick = values.quick === true;
  const tool = values.tool ?? 'auto';
  if (tool !== 'auto' && tool !== 'wrk' && tool !== 'autocannon') throw new UsageError(`--tool must be auto, wrk or autocannon, not ${tool}`);
  const servers = (values.server ?? HTTP_SERVERS.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of servers) if (!HTTP_SERVERS.includes(s as HttpServerKind)) throw new UsageError(`--server takes ${HTTP_SERVERS.join(', ')}; not ${s}`);
  if (values.path !== undefined && !values.path.startsWith('/')) throw new UsageError(`--path must start with /, not ${values.path}`);
  return {
    connections: Math.round(num('connections', values.connections, 100, 1, 10_000)),
    durationS: Math.round(num('duration', values.duration, quick ? 3 : 10, 1, 3600)),
    warmupS: Math.round(num('warmup', values.warmup, quick ? 1 : 2, 0, 600)),
    path: values.path,
    tool,
    servers: servers as HttpServerKind[],
    rounds: Math.round(num('rounds', values.rounds, quick ? 1 : 3, 1, 20)),
    pin: values['no-pin'] !== true,
  };
}
