import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** Output kept for a failure report: the end of it holds a crash's stack. */
const TAIL_BYTES = 64 * 1024;

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

/**
 * The engine as `npm start` runs it, in a process of its own: a test can see it die (an uncaught
 * exception ends the process, not the test), and can read the engine's own memory. Its output
 * is always read, so a full pipe never blocks its logging.
 */
export class EngineProcess {
  readonly child: ChildProcessWithoutNullStreams;
  port = 0;
  exit: ExitStatus | undefined;
  readonly exited: Promise<ExitStatus>;
  /** Log lines at warn and above, by message. */
  readonly warnings = new Map<string, number>();
  private stdoutTail = '';
  private stderrTail = '';
  private partial = '';

  private constructor(env: Record<string, string>) {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SUPERNOVA_')));
    this.child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      // No drain delay unless a test asks: stop() is SIGTERM, and nothing balances load here.
      env: { ...inherited, SUPERNOVA_PORT: '0', SUPERNOVA_HOST: '127.0.0.1', SUPERNOVA_SENTIMENT: 'false', SUPERNOVA_DASHBOARD: 'false', SUPERNOVA_DRAIN_DELAY_MS: '0', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout.on('data', (d: Buffer) => this.stdout(d.toString()));
    this.child.stderr.on('data', (d: Buffer) => { this.stderrTail = (this.stderrTail + d.toString()).slice(-TAIL_BYTES); });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => {
      this.exit = { code, signal, at: Date.now() };
      resolve(this.exit);
    }));
  }

  /** Starts `src/main.ts` with these SUPERNOVA_* variables (others from this process are dropped) and waits for its port. */
  static async start(env: Record<string, string>, timeoutMs = 30_000): Promise<EngineProcess> {
    const p = new EngineProcess({ SUPERNOVA_LOG_LEVEL: 'info', ...env });
    const deadline = Date.now() + timeoutMs;
    while (p.port === 0) {
      if (p.exit) throw new Error(`engine exited at start (${p.exit.code ?? p.exit.signal}): ${p.output()}`);
      if (Date.now() > deadline) {
        p.child.kill('SIGKILL');
        throw new Error(`engine did not log its port within ${timeoutMs} ms: ${p.output()}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return p;
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/connection/websocket`;
  }

  get http(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Resident memory of the engine process in MB (Linux /proc), or undefined once it is gone. */
  rssMb(): number | undefined {
    if (!this.alive) return undefined;
    try {
      const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : undefined;
    } catch {
      return undefined;
    }
  }

  /** The end of stderr (a crash's stack) and of stdout. */
  output(): string {
    return `stderr: ${this.stderrTail.slice(-8000) || '(empty)'}\nstdout: ${this.stdoutTail.slice(-4000) || '(empty)'}`;
  }

  stderr(): string {
    return this.stderrTail;
  }

  /** SIGTERM, then SIGKILL if it has not exited within the grace. */
  async stop(graceMs = 5000): Promise<ExitStatus> {
    if (this.exit) return this.exit;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const status = await this.exited;
    clearTimeout(timer);
    return status;
  }

  private stdout(chunk: string): void {
    this.stdoutTail = (this.stdoutTail + chunk).slice(-TAIL_BYTES);
    const lines = (this.partial + chunk).split('\n');
    this.partial = (lines.pop() ?? '').slice(-TAIL_BYTES);
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      let entry: { level?: number; msg?: string; port?: number };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        continue;
      }
      if (entry.msg === 'supernova listening' && typeof entry.port === 'number') this.port = entry.port;
      // pino: 40 warn, 50 error, 60 fatal.
      if ((entry.level ?? 0) >= 40) this.warnings.set(entry.msg ?? '?', (this.warnings.get(entry.msg ?? '?') ?? 0) + 1);
    }
  }
}
