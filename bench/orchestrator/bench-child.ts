import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { isReady, isResponse, type RpcMap } from '../shared/ipc.js';

export interface SpawnOptions {
  label: string;
  /** Absolute path of the compiled child entry. */
  script: string;
  /** Serialized as the child's single JSON argument. */
  args: unknown;
  /** CPU list for taskset (e.g. "0"); undefined runs unpinned. */
  cpus: string | undefined;
  tasksetPath: string | undefined;
  nodeFlags: string[];
  readyTimeoutMs: number;
  /** Extra environment variables on top of this process' own. */
  env?: Record<string, string> | undefined;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** The orchestrator's handle on one child: typed requests with timeouts, and a bounded shutdown. */
export class BenchChild<M extends RpcMap<M>> {
  /** Every child still running, so an interrupted run can end exactly the processes it started. */
  private static readonly live = new Set<ChildProcess>();
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private exited = false;
  private readonly exit: Promise<void>;

  private constructor(readonly label: string, private readonly proc: ChildProcess) {
    BenchChild.live.add(proc);
    this.exit = new Promise((resolve) => proc.once('exit', () => resolve()));
    proc.on('message', (m: unknown) => {
      if (!isResponse(m)) return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`${label}: ${m.error}`));
    });
    proc.once('exit', (code, signal) => {
      this.exited = true;
      BenchChild.live.delete(proc);
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error(`${label} exited (code ${code ?? '-'}, signal ${signal ?? '-'})`));
      }
      this.pending.clear();
    });
    for (const stream of [proc.stdout, proc.stderr]) {
      if (!stream) continue;
      const lines = createInterface({ input: stream });
      lines.on('line', (line) => process.stderr.write(`  [${label}] ${line}\n`));
    }
  }

  /**
   * Forks `script`; with taskset it runs as `taskset -c CPUS node ...`, which pins the process and
   * every thread it will ever start (libuv pool, V8 helpers) from its first instruction. taskset
   * execs node, so the pid and the IPC channel are the child's own.
   */
  static async spawn<M extends RpcMap<M>, Ready>(o: SpawnOptions): Promise<{ child: BenchChild<M>; ready: Ready }> {
    const pinned = o.cpus !== undefined && o.tasksetPath !== undefined;
    const proc = fork(o.script, [JSON.stringify(o.args)], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      ...(o.env ? { env: { ...process.env, ...o.env } } : {}),
      ...(pinned ? { execPath: o.tasksetPath, execArgv: ['-c', o.cpus ?? '0', process.execPath, ...o.nodeFlags] } : { execArgv: o.nodeFlags }),
    });
    const child = new BenchChild<M>(o.label, proc);
    const ready = await new Promise<Ready>((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`${o.label} did not start within ${o.readyTimeoutMs} ms`));
      }, o.readyTimeoutMs);
      proc.on('message', (m: unknown) => {
        if (!isReady(m)) return;
        clearTimeout(timer);
        resolve(m.info as Ready);
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${o.label} exited during start (code ${code ?? '-'})`));
      });
    });
    return { child, ready };
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  request<K extends keyof M & string>(method: K, params: M[K]['req'], timeoutMs: number): Promise<M[K]['res']> {
    if (this.exited) return Promise.reject(new Error(`${this.label} has exited`));
    const id = this.nextId++;
    return new Promise<M[K]['res']>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.label}: ${method} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: (v) => resolve(v as M[K]['res']), reject, timer });
      // A child being killed (Ctrl-C, a failure) cannot be written to: the request fails here
      // instead of as an unhandled 'error' event that would end this process before its cleanup.
      this.proc.send({ kind: 'request', id, method, params }, (err) => {
        if (!err || !this.pending.delete(id)) return;
        clearTimeout(timer);
        reject(new Error(`${this.label}: ${method} could not be sent (${err.message})`));
      });
    });
  }

  /** Waits up to `timeoutMs` for the child to leave on its own, then kills this one process. */
  async waitExit(timeoutMs: number): Promise<void> {
    if (this.exited) return;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.exit.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut && !this.exited) {
      this.proc.kill('SIGKILL');
      await this.exit;
    }
  }

  kill(): void {
    if (!this.exited) this.proc.kill('SIGKILL');
  }

  static killAll(): void {
    for (const proc of BenchChild.live) proc.kill('SIGKILL');
  }
}
