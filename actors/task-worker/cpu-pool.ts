import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { pack, unpack } from 'msgpackr';
import type { CpuCall } from './cpu-thread.js';

export interface CpuPoolOptions {
  /** Threads; 0 is one fewer than the cores, at least 1. */
  threads: number;
  /** Calls queued for a thread at most (the task workers bound it already: one call per running task). */
  maxQueue: number;
}

/** Running from TypeScript sources (tests, tsx): the threads load them through tsx too. */
const fromSource = import.meta.url.endsWith('.ts');

/**
 * The worker-thread pool of CPU-heavy tasks, so a backtest never holds the event loop that serves
 * sockets. Arguments and results cross as msgpack bytes. An aborted call's thread is terminated
 * by piscina and a fresh one takes its place.
 */
export class CpuPool {
  private pool: Piscina | undefined;
  readonly threads: number;

  constructor(private readonly o: CpuPoolOptions) {
    this.threads = o.threads > 0 ? o.threads : Math.max(1, availableParallelism() - 1);
  }

  start(): void {
    if (this.pool) return;
    this.pool = new Piscina({
      filename: new URL(`./cpu-thread.${fromSource ? 'ts' : 'js'}`, import.meta.url).href,
      minThreads: 1,
      maxThreads: this.threads,
      maxQueue: this.o.maxQueue,
      idleTimeout: 30_000,
      ...(fromSource ? { execArgv: ['--import', 'tsx'] } : {}),
    });
  }

  /** Runs `name` of `module` on `input` in a thread; rejects with AbortError when `signal` aborts. */
  async run<R>(module: string | URL, name: string, input: unknown, signal: AbortSignal, onBytes?: (resultBytes: number) => void): Promise<R> {
    if (!this.pool) throw new Error('the CPU pool is not started');
    const href = module instanceof URL ? module.href : module.startsWith('file:') ? module : pathToFileURL(module).href;
    // The bytes go over in a buffer of their own, transferred: posting pack()'s output would copy
    // the whole buffer under it, on this thread.
    const packed = pack(input);
    const bytes = new Uint8Array(packed.length);
    bytes.set(packed);
    const call: CpuCall = { module: href, name, input: bytes };
    const out = (await this.pool.run(call, { signal, transferList: [bytes.buffer] })) as Uint8Array;
    onBytes?.(out.length);
    return unpack(out) as R;
  }

  /** Threads live, tasks waiting for one, tasks run: for metrics. */
  stats(): { threads: number; queued: number; completed: number } {
    const p = this.pool;
    return p ? { threads: p.threads.length, queued: p.queueSize, completed: p.completed } : { threads: 0, queued: 0, completed: 0 };
  }

  async stop(): Promise<void> {
    const p = this.pool;
    this.pool = undefined;
    await p?.destroy();
  }
}
