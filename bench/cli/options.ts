import { parseArgs } from 'node:util';

/** `protobuf` is SuperNova again, its subscribers speaking the protobuf encoding: JSON is its baseline. */
export type ServerKind = 'supernova' | 'raw' | 'ws' | 'socketio' | 'protobuf';
export const SERVER_KINDS: readonly ServerKind[] = ['supernova', 'raw', 'ws', 'socketio', 'protobuf'];

/** How each server's subscribers speak: SuperNova's protocol (JSON or protobuf), a bare socket per channel, or Socket.IO. */
export function clientModeOf(kind: ServerKind): 'supernova' | 'supernova-protobuf' | 'raw' | 'socketio' {
  return kind === 'supernova' ? 'supernova' : kind === 'protobuf' ? 'supernova-protobuf' : kind === 'socketio' ? 'socketio' : 'raw';
}
export type ScenarioId = 'a' | 'b' | 'c';

export interface BenchOptions {
  subscribers: number;
  /** Publications per second per channel in scenarios (a) and (c). */
  rate: number;
  steadyMs: number;
  stepMs: number;
  /** First rate of the saturation ladder; undefined picks one from the subscriber count. */
  satStart: number | undefined;
  satMax: number;
  maxSteps: number;
  /** Bisection steps between the last rate that held and the first that failed. */
  refineSteps: number;
  channels: number;
  tickMs: number;
  workers: number | undefined;
  servers: ServerKind[];
  scenarios: ScenarioId[];
  pin: boolean;
  quick: boolean;
  /** SuperNova's fan-out batch limit; undefined keeps the engine's default. */
  batch: number | undefined;
}

export const HELP = `npm run bench:fanout -- [options]

Fan-out benchmark: SuperNova vs bare uWebSockets.js pub/sub on the same machine, same payload
bytes, same load client. Each server runs alone in its own process with its publisher loop; load
worker processes hold the WebSocket subscribers and measure publish-to-receipt latency.

Scenarios
  (a) N subscribers on one channel at --rate publications/s
  (b) saturation: the rate rises in 1-2-5 steps until delivered/expected < 0.9, p99 > 1 s or
      subscribers are disconnected; reports the highest delivered messages/s sustained
  (c) --channels channels (bench:0..), subscribers spread evenly, --rate per channel

Options
  --subscribers N     subscribers per run (default 10000; --quick 2000)
  --rate R            publications/s per channel for (a) and (c) (default 100)
  --duration S        seconds of each (a)/(c) measurement (default 8; --quick 3)
  --step-duration S   seconds of each saturation step (default 4; --quick 2)
  --sat-start R       first saturation rate (default: the 1-2-5 value giving ~200k msgs/s
                      for SuperNova and raw, ~10k for ws, ~2k for Socket.IO)
  --sat-max R         highest saturation rate tried (default 20000)
  --refine K          bisection steps between the last rate that held and the first
                      that failed (default 2; --quick 1)
  --channels C        channels of scenario (c) (default 8)
  --tick MS           publisher batch interval (default 10)
  --workers W         load worker processes (default: fewest the open-file limit allows)
  --server K          supernova | raw | ws | socketio | protobuf, a comma list of them,
                      both (supernova,raw; the default) or all (every one); protobuf is
                      SuperNova with subscribers on the protobuf encoding (supernova,protobuf
                      compares it with JSON)
  --scenarios LIST    any of a,b,c (default a,b,c)
  --batch N           SuperNova's SUPERNOVA_FANOUT_BATCH_MAX: publications of a channel
                      per frame within one event-loop turn (default: the engine's, 16;
                      1 = one frame per publication, as the raw peer sends)
  --no-pin            do not pin processes to cores with taskset
  --quick             small and short: a fast check that everything works
  --help              this text

Results: a table on stdout, and JSON in bench/results/fanout-<timestamp>.json.`;

export class UsageError extends Error {}

/** parseArgs specs of value options (`--name V`): every bench command takes its values as strings and checks them with `num`. */
export function valueOptions<const N extends string>(...names: N[]): Record<N, { type: 'string' }> {
  return Object.fromEntries(names.map((n) => [n, { type: 'string' }])) as Record<N, { type: 'string' }>;
}

/** The flags of the benchmark commands. */
export const BENCH_FLAGS = { 'no-pin': { type: 'boolean' }, quick: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      ...valueOptions('subscribers', 'rate', 'duration', 'step-duration', 'sat-start', 'sat-max', 'refine', 'channels', 'tick', 'workers', 'server', 'scenarios', 'batch'),
      ...BENCH_FLAGS,
    },
  });
  if (values.help) return 'help';
  const quick = values.quick === true;
  const server = values.server ?? 'both';
  const servers = server === 'both' ? ['supernova', 'raw'] : server === 'all' ? [...SERVER_KINDS] : server.split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of servers) if (!SERVER_KINDS.includes(s as ServerKind)) throw new UsageError(`--server must be ${SERVER_KINDS.join(', ')}, a comma list of them, both or all; not ${s}`);
  const scenarios = (values.scenarios ?? 'a,b,c').split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of scenarios) if (s !== 'a' && s !== 'b' && s !== 'c') throw new UsageError(`unknown scenario ${s} (use a, b, c)`);
  return {
    subscribers: num('subscribers', values.subscribers, quick ? 2000 : 10_000, 1, 1_000_000),
    rate: num('rate', values.rate, 100, 0.1, 1_000_000),
    steadyMs: num('duration', values.duration, quick ? 3 : 8, 0.5, 3600) * 1000,
    stepMs: num('step-duration', values['step-duration'], quick ? 2 : 4, 0.5, 600) * 1000,
    satStart: values['sat-start'] === undefined ? undefined : num('sat-start', values['sat-start'], 0, 0.1, 1_000_000),
    satMax: num('sat-max', values['sat-max'], 20_000, 0.1, 10_000_000),
    maxSteps: 14,
    refineSteps: Math.round(num('refine', values.refine, quick ? 1 : 2, 0, 6)),
    channels: Math.round(num('channels', values.channels, 8, 1, 10_000)),
    tickMs: num('tick', values.tick, 10, 1, 1000),
    workers: values.workers === undefined ? undefined : Math.round(num('workers', values.workers, 1, 1, 64)),
    servers: servers as ServerKind[],
    scenarios: scenarios as ScenarioId[],
    pin: values['no-pin'] !== true,
    quick,
    batch: values.batch === undefined ? undefined : Math.round(num('batch', values.batch, 16, 1, 1000)),
  };
}

export function num(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min || v > max) throw new UsageError(`--${name} must be a number in [${min}, ${max}], not ${raw}`);
  return v;
}

/** `start`, then the 1-2-5 values above it up to `max`, at most `steps` long. */
export function rateLadder(start: number, max: number, steps: number): number[] {
  const out: number[] = [start];
  let decade = 10 ** Math.floor(Math.log10(start));
  for (let guard = 0; guard < 40 && out.length < steps && decade <= max; guard++) {
    for (const m of [1, 2, 5]) {
      const r = Number((m * decade).toPrecision(6));
      if (r > start * (1 + 1e-9) && r <= max && out.length < steps) out.push(r);
    }
    decade *= 10;
  }
  return out;
}

/** Messages/s each server's first saturation step aims at: about a tenth of its expected limit. */
export const SAT_START_MSGS: Record<ServerKind, number> = { supernova: 200_000, raw: 200_000, ws: 10_000, socketio: 2000, protobuf: 200_000 };

/** The 1-2-5 rate that makes the first saturation step deliver about `messages` per second. */
export function autoSatStart(subscribers: number, messages = 200_000): number {
  const target = messages / Math.max(1, subscribers);
  const ladder = rateLadder(0.1, 1_000_000, 60);
  let pick = 0.1;
  for (const r of ladder) if (r <= target) pick = r;
  return pick;
}
