import { parseArgs } from 'node:util';
import { num, UsageError, valueOptions } from '../cli/options.js';
import type { ClientKind } from './run-load.js';

/** What every command shares: where to, with which client, how publications are made. */
export interface CommonOptions {
  url: string | undefined;
  client: ClientKind;
  apiKey: string | undefined;
  usersPerChannel: number;
  rpcRatio: number;
  requestTimeoutMs: number;
  out: string | undefined;
  pin: boolean;
}

export interface QuickOptions extends CommonOptions {
  users: number;
  durationMs: number;
  rampUpMs: number;
  ratePerUser: number;
}

export type Phase = 'load' | 'stress' | 'endurance' | 'leak';
export const PHASES: readonly Phase[] = ['load', 'stress', 'endurance', 'leak'];

export interface ComprehensiveOptions extends CommonOptions {
  phases: Phase[];
  /** Multiplies every duration and user count (0.1 = a tenth): a smaller run of the same shape. */
  scale: number;
  users: number;
  ratePerUser: number;
  loadMs: number;
  stressStepMs: number;
  stressSteps: number;
  stressMaxUsers: number;
  enduranceMs: number;
  leakMs: number;
}

export const COMMANDS_HELP = `npm run loadtest -- <command> [options]

Commands
  quick           one load phase with a summary (about a minute by default)
  comprehensive   async load, stress to the breaking point, endurance, memory leak
  help            this text; "<command> --help" lists a command's options

Every run writes bench/results/<run>/result.json, report.html and charts/*.png.`;

const COMMON_HELP = `  --url URL              ws://host:port[/connection/websocket]; without it the suite starts
                         SuperNova itself in a child process on a free loopback port
  --client K             sdk (centrifuge-js, realistic; default) | raw (lightweight, for scale)
  --api-key KEY          publish through the server API (POST /api/publish) instead of client
                         publish; with no --url the started server gets this key
  --users-per-channel N  users sharing one public: channel (default 10): each publication
                         reaches N subscribers
  --rpc-ratio F          share of requests that are RPCs (market.snapshot), 0..1 (default 0.2)
  --timeout MS           request and connect timeout (default 5000)
  --out DIR              result directory (default bench/results/<command>-<timestamp>)
  --no-pin               do not pin the started server and the load to separate cores
  --help                 this text`;

export const QUICK_HELP = `npm run loadtest -- quick [options]

Users connect over the ramp-up, subscribe to a public: channel, answer pings, and each makes
--rate requests/s (client publish with a timestamp, or RPC). Prints a progress bar, then average,
P50, P95, P99 response time, requests/s, messages/s and the error rate.

Options
  --users N              concurrent users (default 50)
  --duration S           seconds, ramp-up included (default 60)
  --ramp-up S            seconds over which users connect (default: a quarter of --duration, at most 10)
  --rate R               requests per second per user (default 1)
${COMMON_HELP}`;

export const COMPREHENSIVE_HELP = `npm run loadtest -- comprehensive [options]

Runs, one after another: an async load test, a stress test raising users and rate step by step
until p99 > 1 s or errors > 5 % (the breaking point), an endurance test (RSS growth, errors,
latency drift), and a memory-leak test (server RSS and heap over time, slope test). About 16
minutes by default; --scale 0.1 runs the same shape in under 2.

Options
  --phases LIST          any of load,stress,endurance,leak (default all)
  --scale F              multiplies every duration and user count (default 1)
  --users N              users of the load, endurance and leak phases (default 100)
  --rate R               requests per second per user (default 1)
  --duration S           seconds of the async load phase (default 300)
  --stress-step S        seconds of each stress level (default 20)
  --stress-steps N       stress levels at most (default 8); users x2 and rate x1.5 per level
  --stress-max-users N   users stop growing here, the rate goes on (default 5000)
  --endurance S          seconds of the endurance phase (default 300)
  --leak S               seconds of the memory-leak phase (default 180)
${COMMON_HELP}`;

const commonSpec = {
  ...valueOptions('url', 'client', 'api-key', 'users-per-channel', 'rpc-ratio', 'timeout', 'out'),
  'no-pin': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function common(values: Record<string, string | boolean | undefined>): CommonOptions {
  const client = (values.client as string | undefined) ?? 'sdk';
  if (client !== 'sdk' && client !== 'raw') throw new UsageError(`--client must be sdk or raw, not ${client}`);
  const str = (k: string) => values[k] as string | undefined;
  return {
    url: str('url'),
    client,
    apiKey: str('api-key'),
    usersPerChannel: Math.round(num('users-per-channel', str('users-per-channel'), 10, 1, 100_000)),
    rpcRatio: num('rpc-ratio', str('rpc-ratio'), 0.2, 0, 1),
    requestTimeoutMs: num('timeout', str('timeout'), 5000, 100, 120_000),
    out: str('out'),
    pin: values['no-pin'] !== true,
  };
}

export function parseQuick(argv: string[]): QuickOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: { ...commonSpec, ...valueOptions('users', 'duration', 'ramp-up', 'rate') },
  });
  if (values.help) return 'help';
  const durationMs = num('duration', values.duration, 60, 1, 86_400) * 1000;
  return {
    ...common(values),
    users: Math.round(num('users', values.users, 50, 1, 200_000)),
    durationMs,
    rampUpMs: values['ramp-up'] === undefined ? Math.min(10_000, durationMs / 4) : num('ramp-up', values['ramp-up'], 0, 0, 3600) * 1000,
    ratePerUser: num('rate', values.rate, 1, 0, 1000),
  };
}

export function parseComprehensive(argv: string[]): ComprehensiveOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: { ...commonSpec, ...valueOptions('phases', 'scale', 'users', 'rate', 'duration', 'stress-step', 'stress-steps', 'stress-max-users', 'endurance', 'leak') },
  });
  if (values.help) return 'help';
  const phases = (values.phases ?? PHASES.join(',')).split(',').map((p) => p.trim()).filter(Boolean);
  for (const p of phases) if (!PHASES.includes(p as Phase)) throw new UsageError(`unknown phase ${p} (use ${PHASES.join(', ')})`);
  const scale = num('scale', values.scale, 1, 0.01, 100);
  const seconds = (name: string, raw: string | undefined, fallback: number) => Math.max(2000, num(name, raw, fallback, 1, 86_400) * 1000 * scale);
  return {
    ...common(values),
    phases: phases as Phase[],
    scale,
    users: Math.max(1, Math.round(num('users', values.users, 100, 1, 200_000) * scale)),
    ratePerUser: num('rate', values.rate, 1, 0, 1000),
    loadMs: seconds('duration', values.duration, 300),
    stressStepMs: seconds('stress-step', values['stress-step'], 20),
    stressSteps: Math.round(num('stress-steps', values['stress-steps'], 8, 1, 30)),
    stressMaxUsers: Math.round(num('stress-max-users', values['stress-max-users'], 5000, 1, 200_000)),
    enduranceMs: seconds('endurance', values.endurance, 300),
    leakMs: seconds('leak', values.leak, 180),
  };
}
