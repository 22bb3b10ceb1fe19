/**
 * `npm run bench:delta`: bytes on the wire per subscriber and server CPU per delivered message
 * for `market:` snapshots, with fossil delta compression and without, in the same run. The engine
 * (with its publisher loop) runs in one process and the subscribers in another, each on its own
 * core when taskset allows; phases alternate (plain, delta, plain, delta...) so drift hits both.
 *
 *   npm run bench:delta -- [--subscribers N] [--symbols N] [--rate PER_SYMBOL_PER_S] [--window-ms MS] [--rounds N] [--encoding json|protobuf] [--static-bytes N] [--no-pin]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { planCpus } from './orchestrator/cpu-plan.js';
import { readHostLimits } from './orchestrator/host-limits.js';

interface Options { subscribers: number; symbols: number; rate: number; windowMs: number; warmupMs: number; rounds: number; pin: boolean; encoding: 'json' | 'protobuf'; staticBytes: number }

function parse(argv: string[]): Options {
  const o: Options = { subscribers: 4000, symbols: 20, rate: 10, windowMs: 8000, warmupMs: 2000, rounds: 2, pin: true, encoding: 'json', staticBytes: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${a} needs a positive number`);
      return v;
    };
    if (a === '--subscribers') o.subscribers = Math.floor(next());
    else if (a === '--symbols') o.symbols = Math.floor(next());
    else if (a === '--rate') o.rate = next();
    else if (a === '--window-ms') o.windowMs = Math.floor(next());
    else if (a === '--warmup-ms') o.warmupMs = Math.floor(next());
    else if (a === '--rounds') o.rounds = Math.floor(next());
    else if (a === '--no-pin') o.pin = false;
    else if (a === '--static-bytes') o.staticBytes = Math.floor(next());
    else if (a === '--encoding') {
      const e = argv[++i];
      if (e !== 'json' && e !== 'protobuf') throw new Error('--encoding is json or protobuf');
      o.encoding = e;
    }
    else throw new Error(`unknown option ${a}`);
  }
  // Deliveries are counted as publications x subscribers per channel: every channel gets as many.
  if (o.subscribers % o.symbols !== 0) throw new Error('--subscribers must be a multiple of --symbols');
  return o;
}

/** A child process on the given cores, spoken to over IPC. */
class Child {
  private readonly proc: ChildProcess;
  private readonly inbox: Record<string, unknown>[] = [];
  private waiter: (() => void) | undefined;

  constructor(script: string, taskset: string | undefined, cpus: string | undefined) {
    const path = fileURLToPath(new URL(script, import.meta.url));
    const [cmd, args] = taskset && cpus ? [taskset, ['-c', cpus, process.execPath, path]] : [process.execPath, [path]];
    this.proc = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.proc.on('message', (m: Record<string, unknown>) => {
      this.inbox.push(m);
      this.waiter?.();
    });
  }

  send(m: unknown): void {
    this.proc.send(m as never);
  }

  async next<K extends string>(key: K, timeoutMs = 120_000): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex((m) => key in m || 'failed' in m);
      if (i !== -1) {
        const m = this.inbox.splice(i, 1)[0] as Record<string, unknown>;
        if ('failed' in m) throw new Error(String(m.failed));
        return m[key];
      }
      if (Date.now() > deadline) throw new Error(`no ${key} from child`);
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 100);
      });
    }
  }

  async end(): Promise<void> {
    if (this.proc.exitCode === null) {
      const exited = once(this.proc, 'exit');
      this.proc.kill('SIGTERM');
      await exited;
    }
  }
}

interface Phase { delta: boolean; bytesPerSubPerMsg: number; bytesPerSubPerS: number; cpuUsPerDelivery: number; deliveries: number; received: number; deltaShare: number }

const HELP = `npm run bench:delta -- [options]
  --subscribers N     raw WebSocket subscribers per phase (default 4000)
  --symbols N         market: channels, subscribers spread over them (default 20)
  --rate N            snapshots per second per channel (default 10, the pipeline's conflation cap)
  --window-ms MS      measuring window per phase (default 8000), after --warmup-ms (default 2000)
  --rounds N          plain+delta phase pairs (default 2)
  --encoding E        json (default) or protobuf
  --static-bytes N    add N bytes of unchanging reference data to each snapshot (default 0)
  --no-pin            do not pin the engine and the subscribers to separate cores`;

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const o = parse(process.argv.slice(2));
  const cpu = planCpus(readHostLimits(), o.pin);
  const server = new Child('./delta/server.js', cpu.tasksetPath, cpu.serverCpus);
  const clients = new Child('./delta/clients.js', cpu.tasksetPath, cpu.loadCpus);
  try {
    const port = (await server.next('ready')) as number;
    await clients.next('ready');
    const url = `ws://127.0.0.1:${port}/connection/websocket`;
    server.send({ cmd: 'start', symbols: o.symbols, ratePerSymbol: o.rate, staticBytes: o.staticBytes });
    await server.next('started');
    const phases: Phase[] = [];
    for (let round = 0; round < o.rounds; round++) {
      for (const delta of [false, true]) {
        clients.send({ cmd: 'open', url, subscribers: o.subscribers, symbols: o.symbols, delta, encoding: o.encoding });
        await clients.next('opened');
        await sleep(o.warmupMs);
        server.send({ cmd: 'window' });
        clients.send({ cmd: 'window' });
        await Promise.all([server.next('window'), clients.next('window')]);
        await sleep(o.windowMs);
        server.send({ cmd: 'window' });
        clients.send({ cmd: 'window' });
        const [s, c] = (await Promise.all([server.next('window'), clients.next('window')])) as [{ cpuUs: number; published: number }, { bytes: number; pubs: number; deltas: number }];
        // What the server delivered: every publication reaches every subscriber of its channel
        // (subscribers are spread evenly), whether or not the load core has read it yet.
        const delivered = s.published * Math.floor(o.subscribers / o.symbols);
        const phase: Phase = {
          delta,
          bytesPerSubPerMsg: c.bytes / Math.max(1, c.pubs),
          bytesPerSubPerS: c.bytes / o.subscribers / (o.windowMs / 1000),
          cpuUsPerDelivery: s.cpuUs / Math.max(1, delivered),
          deliveries: delivered,
          received: c.pubs,
          deltaShare: c.deltas / Math.max(1, c.pubs),
        };
        phases.push(phase);
        process.stderr.write(`round ${round + 1} ${delta ? 'delta' : 'plain'}: ${phase.bytesPerSubPerMsg.toFixed(1)} B/msg, ${phase.cpuUsPerDelivery.toFixed(2)} us CPU/delivery, ${phase.deliveries} delivered, ${phase.received} read by the load process in the window, ${(phase.deltaShare * 100).toFixed(0)}% deltas\n`);
        clients.send({ cmd: 'close' });
        await clients.next('closed');
        await sleep(500);
      }
    }
    const avg = (delta: boolean, f: (p: Phase) => number): number => {
      const ps = phases.filter((p) => p.delta === delta);
      return ps.reduce((a, p) => a + f(p), 0) / ps.length;
    };
    const plainBytes = avg(false, (p) => p.bytesPerSubPerMsg);
    const deltaBytes = avg(true, (p) => p.bytesPerSubPerMsg);
    const plainCpu = avg(false, (p) => p.cpuUsPerDelivery);
    const deltaCpu = avg(true, (p) => p.cpuUsPerDelivery);
    const lines = [
      `bench:delta: ${o.subscribers} ${o.encoding} subscribers over ${o.symbols} market: channels, ${o.rate} snapshots/s per channel${o.staticBytes > 0 ? ` (the pipeline's snapshot plus ${o.staticBytes} bytes of static reference data)` : ' (the pipeline\'s own snapshots)'}, ${o.rounds} round(s) of ${o.windowMs} ms windows`,
      `cores: ${cpu.description}`,
      '| | plain | fossil delta | ratio |',
      '|---|---|---|---|',
      `| bytes on the wire per subscriber per snapshot (payload + WS header) | ${plainBytes.toFixed(1)} | ${deltaBytes.toFixed(1)} | ${(plainBytes / deltaBytes).toFixed(2)}x fewer (target >= 3x) |`,
      `| bytes per subscriber per second | ${avg(false, (p) => p.bytesPerSubPerS).toFixed(0)} | ${avg(true, (p) => p.bytesPerSubPerS).toFixed(0)} | |`,
      `| server CPU per delivered message (us; publications x subscribers per channel) | ${plainCpu.toFixed(3)} | ${deltaCpu.toFixed(3)} | ${(deltaCpu / plainCpu).toFixed(2)}x (target <= 1.1x) |`,
      `| share of publications sent as deltas | | ${(avg(true, (p) => p.deltaShare) * 100).toFixed(1)}% | |`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    clients.send({ cmd: 'close' });
    server.send({ cmd: 'stop' });
    await Promise.race([Promise.all([server.end(), clients.end()]), sleep(10_000)]);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:delta failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
