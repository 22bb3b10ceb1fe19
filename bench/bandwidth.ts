/**
 * `npm run bench:bandwidth`: bytes on the wire per subscriber and server CPU for the same
 * publications sent each way of VARIANTS (bandwidth/variants.ts), against the uncompressed
 * baseline of the same run. The engine runs alone in a child process (on CPU 0 when pinned); the
 * subscribers and this orchestrator share the other core.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BenchChild } from './orchestrator/bench-child.js';
import { readHostLimits } from './orchestrator/host-limits.js';
import { writeResultFile } from './orchestrator/paths.js';
import { runCli } from './orchestrator/run-cli.js';
import type { PayloadKind, PayloadPlan } from './bandwidth/payloads.js';
import type { EngineChildArgs, EngineChildReady, EngineChildRpc } from './bandwidth/protocol.js';
import { SubscriberPool } from './bandwidth/subscribers.js';
import { BASELINE, VARIANTS, type Variant } from './bandwidth/variants.js';

const CHILD = fileURLToPath(new URL('./bandwidth/engine-child.js', import.meta.url));
const CHANNEL: Record<PayloadKind, string> = { market: 'market:AAPL', large: 'market:BOOK' };

interface Options {
  subscribers: number;
  variants: Variant[];
  plans: Record<PayloadKind, { count: number; ratePerS: number }>;
  /** A second, smaller subscriber count for the large payload: does compression cost grow with subscribers? */
  scalingSubscribers: number;
  pin: boolean;
}

interface CaseResult {
  kind: PayloadKind;
  variant: string;
  subscribers: number;
  deflating: number;
  publications: number;
  delivered: number;
  wireBytes: number;
  bytesPerSubscriber: number;
  bytesPerDelivery: number;
  serverCpuMs: number;
  cpuUsPerDelivery: number;
  wallMs: number;
}

const HELP = `npm run bench:bandwidth -- [--subscribers N] [--variants none,shared,dedicated] [--market-count N] [--market-rate N] [--large-count N] [--large-rate N] [--scaling-subscribers N] [--no-pin]`;

function parse(argv: string[]): Options | 'help' {
  const o: Options = {
    subscribers: 500,
    variants: [...VARIANTS],
    plans: { market: { count: 2000, ratePerS: 400 }, large: { count: 400, ratePerS: 80 } },
    scalingSubscribers: 50,
    pin: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const int = () => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} takes a positive integer`);
      return n;
    };
    switch (flag) {
      case '--help': return 'help';
      case '--subscribers': o.subscribers = int(); break;
      case '--scaling-subscribers': o.scalingSubscribers = int(); break;
      case '--market-count': o.plans.market.count = int(); break;
      case '--market-rate': o.plans.market.ratePerS = int(); break;
      case '--large-count': o.plans.large.count = int(); break;
      case '--large-rate': o.plans.large.ratePerS = int(); break;
      case '--no-pin': o.pin = false; break;
      case '--variants': {
        const names = value().split(',').map((s) => s.trim());
        const picked = VARIANTS.filter((v) => names.includes(v.name));
        const unknown = names.filter((n) => !VARIANTS.some((v) => v.name === n));
        if (unknown.length > 0) throw new Error(`unknown variant(s) ${unknown.join(', ')}; known: ${VARIANTS.map((v) => v.name).join(', ')}`);
        if (!picked.some((v) => v.name === BASELINE)) picked.unshift(VARIANTS.find((v) => v.name === BASELINE) as Variant);
        o.variants = picked;
        break;
      }
      default: throw new Error(`unknown option ${flag}`);
    }
  }
  return o;
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function until(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

async function runCase(kind: PayloadKind, variant: Variant, subscribers: number, o: Options, cpus: { server?: string; taskset?: string }): Promise<CaseResult> {
  const plan: PayloadPlan = { kind, channel: CHANNEL[kind], ...o.plans[kind] };
  const args: EngineChildArgs = { engine: { pingIntervalMs: 3_600_000, ...variant.engine }, maxLifetimeMs: 10 * 60_000 };
  const { child, ready } = await BenchChild.spawn<EngineChildRpc, EngineChildReady>({
    label: `engine ${variant.name}`, script: CHILD, args, cpus: cpus.server, tasksetPath: cpus.taskset, nodeFlags: [], readyTimeoutMs: 30_000,
  });
  const pool = new SubscriberPool(`ws://127.0.0.1:${ready.port}/connection/websocket`, plan.channel, variant.subscribe);
  try {
    await pool.open(subscribers);
    // Warm-up: JIT, and for a dedicated window its first frames; not measured.
    const warm = Math.min(50, plan.count);
    await child.request('publish', { ...plan, count: warm, ratePerS: plan.ratePerS }, 60_000);
    await until(() => pool.messages >= warm * subscribers, 20_000);
    await new Promise((r) => setTimeout(r, 200));
    const m0 = pool.messages;
    const b0 = pool.bytesRead;
    const c0 = await child.request('cpu', null, 5_000);
    const started = performance.now();
    await child.request('publish', plan, 10 * 60_000);
    const complete = await until(() => pool.messages - m0 >= plan.count * subscribers, 60_000);
    const wallMs = performance.now() - started;
    const c1 = await child.request('cpu', null, 5_000);
    const delivered = pool.messages - m0;
    if (!complete) log(`  warning: ${variant.name} ${kind}: ${delivered} of ${plan.count * subscribers} deliveries arrived`);
    const wireBytes = pool.bytesRead - b0;
    const serverCpuMs = (c1.userUs + c1.systemUs - c0.userUs - c0.systemUs) / 1000;
    return {
      kind, variant: variant.name, subscribers, deflating: pool.deflating, publications: plan.count, delivered, wireBytes,
      bytesPerSubscriber: wireBytes / subscribers, bytesPerDelivery: wireBytes / Math.max(1, delivered),
      serverCpuMs, cpuUsPerDelivery: (serverCpuMs * 1000) / Math.max(1, delivered), wallMs,
    };
  } finally {
    pool.close();
    await child.request('stop', null, 10_000).catch(() => {});
    await child.waitExit(5_000);
  }
}

function pinSelf(o: Options): { server?: string; taskset?: string; description: string } {
  const host = readHostLimits();
  if (!o.pin) return { description: `not pinned (--no-pin): ${host.cores} core(s) shared by the engine child and the subscribers` };
  if (!host.tasksetPath || host.cores < 2) return { description: `not pinned (${host.tasksetPath ? 'one core' : 'no taskset'})` };
  const load = host.cores === 2 ? '1' : `1-${host.cores - 1}`;
  try {
    execFileSync(host.tasksetPath, ['-a', '-p', '-c', load, String(process.pid)], { stdio: 'ignore' });
  } catch {
    return { description: 'not pinned (taskset not permitted)' };
  }
  return { server: '0', taskset: host.tasksetPath, description: `engine child alone on CPU 0; subscribers (raw ws, inflating) and this orchestrator on CPU ${load}` };
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(): Promise<number> {
  let o: Options;
  try {
    const parsed = parse(process.argv.slice(2));
    if (parsed === 'help') { process.stdout.write(`${HELP}\n`); return 0; }
    o = parsed;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${HELP}\n`);
    return 2;
  }
  const cpus = pinSelf(o);
  log(`bandwidth benchmark: ${o.subscribers} subscribers on one channel; variants ${o.variants.map((v) => v.name).join(', ')}`);
  log(`cpu split: ${cpus.description}`);
  const startedAt = new Date().toISOString();
  const results: CaseResult[] = [];
  for (const kind of ['market', 'large'] as const) {
    for (const variant of o.variants) {
      log(`[${kind}] ${variant.name}: ${variant.describe}`);
      results.push(await runCase(kind, variant, o.subscribers, o, cpus));
    }
  }
  // The same large publications to a tenth of the subscribers: if compression were done once per
  // publication, its CPU per delivery would grow about tenfold here; done per socket, it stays.
  const scaling: CaseResult[] = [];
  if (o.scalingSubscribers !== o.subscribers) {
    for (const variant of o.variants) {
      log(`[large, ${o.scalingSubscribers} subscribers] ${variant.name}`);
      scaling.push(await runCase('large', variant, o.scalingSubscribers, o, cpus));
    }
  }

  const out = process.stdout;
  out.write(`\nCPU split: ${cpus.description}\n`);
  out.write(`${o.subscribers} subscribers; market: ${o.plans.market.count} snapshots at ${o.plans.market.ratePerS}/s; large: ${o.plans.large.count} publications (~6 KB) at ${o.plans.large.ratePerS}/s\n\n`);
  out.write('| payload | variant | deflate sockets | bytes/subscriber | bytes/delivery | wire: none / this | server CPU ms | CPU µs/delivery | CPU: this / none | delivered |\n|---|---|---|---|---|---|---|---|---|---|\n');
  const rows = (list: CaseResult[]) => {
    for (const r of list) {
      const base = list.find((b) => b.kind === r.kind && b.subscribers === r.subscribers && b.variant === BASELINE);
      const wire = base ? base.bytesPerSubscriber / r.bytesPerSubscriber : NaN;
      const cpu = base ? r.cpuUsPerDelivery / base.cpuUsPerDelivery : NaN;
      out.write(`| ${r.kind} (${r.subscribers} subs) | ${r.variant} | ${r.deflating} | ${fmt(r.bytesPerSubscriber)} | ${fmt(r.bytesPerDelivery, 1)} | ${fmt(wire, 2)}x | ${fmt(r.serverCpuMs)} | ${fmt(r.cpuUsPerDelivery, 2)} | ${fmt(cpu, 2)}x | ${fmt(r.delivered)} |\n`);
    }
  };
  rows(results);
  rows(scaling);
  if (scaling.length > 0) {
    out.write('\nCompression CPU per delivery (variant - none), large publications:\n');
    for (const variant of o.variants.filter((v) => v.name !== BASELINE)) {
      const extra = (list: CaseResult[], subs: number) => {
        const v = list.find((r) => r.kind === 'large' && r.variant === variant.name && r.subscribers === subs);
        const b = list.find((r) => r.kind === 'large' && r.variant === BASELINE && r.subscribers === subs);
        return v && b ? v.cpuUsPerDelivery - b.cpuUsPerDelivery : NaN;
      };
      const big = extra(results, o.subscribers);
      const small = extra(scaling, o.scalingSubscribers);
      out.write(`  ${variant.name}: ${fmt(small, 2)} µs at ${o.scalingSubscribers} subscribers, ${fmt(big, 2)} µs at ${o.subscribers} (ratio ${fmt(small / big, 2)}; ~1 = compressed per subscriber, ~${fmt(o.subscribers / o.scalingSubscribers)} = once per publication)\n`);
    }
  }
  const file = writeResultFile('bandwidth', startedAt, { startedAt, cpuSplit: cpus.description, options: { ...o, variants: o.variants.map((v) => v.name) }, results, scaling });
  out.write(`\nresults: ${file}\n`);
  return 0;
}

runCli('bench:bandwidth', main);
