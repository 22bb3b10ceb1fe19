import { BenchChild } from './bench-child.js';
import type { CpuPlan } from './cpu-plan.js';
import { childScripts } from './paths.js';
import { LatencyHistogram } from '../shared/latency-histogram.js';
import type { ClientMode, OpenSpec, Timebase, WorkerArgs, WorkerRpc, WorkerSnapshot, WorkerStatus } from '../shared/worker-protocol.js';

export interface FleetOptions {
  workers: number;
  subscribers: number;
  mode: ClientMode;
  port: number;
  /** One port per worker instead of `port` for all: worker w holds the subscribers of node w. */
  workerPorts?: number[];
  channels: string[];
  /** Source addresses to spread over (empty: the kernel's default 127.0.0.1). */
  sourceAddresses: string[];
  perAddress: number;
  cpu: CpuPlan;
  maxLifetimeMs: number;
}

export interface FleetSnapshot {
  received: number;
  unstamped: number;
  untimed: number;
  replyErrors: number;
  pingsAnswered: number;
  closeCodes: Record<string, number>;
  histogram: LatencyHistogram;
}

const RPC_TIMEOUT_MS = 15_000;

/** The load worker processes of one run, addressed as one. */
export class LoadFleet {
  private constructor(private readonly workers: BenchChild<WorkerRpc>[], readonly subscribersPerChannel: number[], readonly subscribersPerWorker: number[]) {}

  static async start(o: FleetOptions): Promise<LoadFleet> {
    const workers: BenchChild<WorkerRpc>[] = [];
    const perWorker: number[] = [];
    try {
      for (let w = 0; w < o.workers; w++) {
        const args: WorkerArgs = { maxLifetimeMs: o.maxLifetimeMs };
        const { child } = await BenchChild.spawn<WorkerRpc, unknown>({
          label: `load-${w}`,
          script: childScripts.loadWorker,
          args,
          cpus: o.cpu.loadCpus,
          tasksetPath: o.cpu.tasksetPath,
          nodeFlags: [],
          readyTimeoutMs: 15_000,
        });
        workers.push(child);
      }
      // Contiguous slices: worker w holds global indexes [first, first + count).
      let first = 0;
      for (let w = 0; w < workers.length; w++) {
        const count = Math.floor(o.subscribers / workers.length) + (w < o.subscribers % workers.length ? 1 : 0);
        const spec: OpenSpec = {
          mode: o.mode,
          host: '127.0.0.1',
          port: o.workerPorts?.[w] ?? o.port,
          path: '/connection/websocket',
          firstIndex: first,
          count,
          channels: o.channels,
          sourceAddresses: o.sourceAddresses,
          perAddress: o.perAddress,
          // Well under the listen backlog (uWebSockets.js asks for 512) so no SYN is dropped and retried.
          maxInFlight: 256,
          handshakeTimeoutMs: 20_000,
        };
        await workers[w]?.request('open', spec, RPC_TIMEOUT_MS);
        perWorker.push(count);
        first += count;
      }
    } catch (err) {
      for (const w of workers) w.kill();
      throw err;
    }
    const perChannel = o.channels.map((_, c) => Math.floor(o.subscribers / o.channels.length) + (c < o.subscribers % o.channels.length ? 1 : 0));
    return new LoadFleet(workers, perChannel, perWorker);
  }

  get pids(): number[] {
    return this.workers.map((w) => w.pid);
  }

  async status(): Promise<WorkerStatus> {
    const all = await Promise.all(this.workers.map((w) => w.request('status', null, RPC_TIMEOUT_MS)));
    const sum: WorkerStatus = { started: 0, open: 0, subscribed: 0, failed: 0, closed: 0, problems: [] };
    for (const s of all) {
      sum.started += s.started;
      sum.open += s.open;
      sum.subscribed += s.subscribed;
      sum.failed += s.failed;
      sum.closed += s.closed;
      sum.problems.push(...s.problems);
    }
    return sum;
  }

  /**
   * Polls until all `total` subscribers are subscribed (logging progress every 2 s); throws, with
   * the workers' first problems, when some fail or the ramp outlasts its bound (5 ms each + 30 s).
   */
  async waitAllSubscribed(label: string, total: number, log: (line: string) => void): Promise<void> {
    const deadline = Date.now() + 30_000 + total * 5;
    let last = await this.status();
    let lastReport = Date.now();
    while (Date.now() < deadline) {
      if (last.subscribed >= total || last.subscribed + last.failed + last.closed >= total) break;
      if (Date.now() - lastReport >= 2000) {
        log(`    ${last.subscribed}/${total} subscribed (${last.failed} failed)`);
        lastReport = Date.now();
      }
      await sleep(200);
      last = await this.status();
    }
    if (last.subscribed < total) {
      throw new Error(`${label}: only ${last.subscribed} of ${total} subscribers subscribed (${last.failed} failed, ${last.closed} closed): ${last.problems.join('; ') || 'no detail'}`);
    }
  }

  async setTimebase(timebase: Timebase | null): Promise<void> {
    await Promise.all(this.workers.map((w) => w.request('timebase', timebase, RPC_TIMEOUT_MS)));
  }

  async reset(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.request('reset', null, RPC_TIMEOUT_MS)));
  }

  /** Each worker's own counters, in worker order (with workerPorts: one node's subscribers each). */
  snapshots(withHistogram: boolean): Promise<WorkerSnapshot[]> {
    return Promise.all(this.workers.map((w) => w.request('snapshot', { withHistogram }, RPC_TIMEOUT_MS)));
  }

  async snapshot(withHistogram: boolean): Promise<FleetSnapshot> {
    const all = await this.snapshots(withHistogram);
    const out: FleetSnapshot = { received: 0, unstamped: 0, untimed: 0, replyErrors: 0, pingsAnswered: 0, closeCodes: {}, histogram: new LatencyHistogram() };
    for (const s of all) {
      out.received += s.received;
      out.unstamped += s.unstamped;
      out.untimed += s.untimed;
      out.replyErrors += s.replyErrors;
      out.pingsAnswered += s.pingsAnswered;
      for (const [code, n] of Object.entries(s.closeCodes)) out.closeCodes[code] = (out.closeCodes[code] ?? 0) + n;
      if (withHistogram) out.histogram.merge(s.histogram);
    }
    return out;
  }

  /** Closes every subscriber and ends the workers; kills what does not leave in time. */
  async stop(): Promise<void> {
    await Promise.all(this.workers.map(async (w) => {
      try {
        await w.request('stop', null, RPC_TIMEOUT_MS);
      } catch {
        // Killed below if it does not exit.
      }
      await w.waitExit(5000);
    }));
  }

  kill(): void {
    for (const w of this.workers) w.kill();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
