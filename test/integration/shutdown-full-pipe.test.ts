import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { StdoutPipe } from '../support/stdout-pipe.js';
import { RawSocket } from '../support/raw-socket.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const GRACE_MS = 500;
const FLUSH_MS = 500;
/** main.ts's SHUTDOWN_MARGIN_MS: the hard exit comes at drain delay (0 here) + grace + log flush + this. */
const MARGIN_MS = 5_000;
/** For a loaded two-core machine: process start-up of exit, the test's own polling. */
const SLACK_MS = 3_000;

interface EngineProcess {
  child: ChildProcess;
  port: number;
  stderr: () => string;
  /** Resolves with the exit, or with `hung` if the process is still there after `ms` (it is then killed). */
  exitWithin(ms: number): Promise<{ code: number | null; afterMs: number } | 'hung'>;
}

const pipes: StdoutPipe[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const p of pipes.splice(0)) p.dispose();
});

/** `src/main.ts` as `npm start` runs it, its stdout the pipe, started and listening. */
async function startEngineProcess(pipe: StdoutPipe, env: Record<string, string> = {}): Promise<EngineProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      SUPERNOVA_PORT: '0', SUPERNOVA_HOST: '127.0.0.1', SUPERNOVA_LOG_LEVEL: 'debug', SUPERNOVA_SYMBOLS: 'AAPL',
      SUPERNOVA_SHUTDOWN_GRACE_MS: String(GRACE_MS), SUPERNOVA_LOG_FLUSH_MS: String(FLUSH_MS),
      // The drain delay is shutdown.test.ts's subject; here it would only push the exit later.
      SUPERNOVA_DRAIN_DELAY_MS: '0', ...env,
    },
    stdio: ['ignore', pipe.childFd, 'pipe'],
  });
  children.push(child);
  pipe.releaseChildEnd();
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const out = await pipe.readUntil('supernova listening', 20_000);
  const listening = out.split('\n').find((l) => l.includes('supernova listening')) as string;
  const port = (JSON.parse(listening) as { port: number }).port;
  return {
    child,
    port,
    stderr: () => stderr,
    async exitWithin(ms) {
      const start = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const result = await Promise.race([
        exited.then((code) => ({ code, afterMs: performance.now() - start })),
        new Promise<'hung'>((resolve) => { timer = setTimeout(() => resolve('hung'), ms); }),
      ]);
      clearTimeout(timer);
      if (result === 'hung') child.kill('SIGKILL');
      return result;
    },
  };
}

/** An engine whose stdout pipe was filled once it listened, and is never read from here on. */
async function engineOnFullPipe(env: Record<string, string> = {}): Promise<{ pipe: StdoutPipe; e: EngineProcess; filled: number }> {
  const pipe = new StdoutPipe();
  pipes.push(pipe);
  const e = await startEngineProcess(pipe, env);
  return { pipe, e, filled: pipe.fill() };
}

/** Each malformed frame is one debug line ("malformed frame") and a closed socket. */
async function malformedFrames(port: number, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const s = new RawSocket(`ws://127.0.0.1:${port}/connection/websocket`);
    await s.opened;
    s.sendRaw('{"id":1,"connect":');
    expect(await s.closed).toBe(3501);
  }
}

async function timedHealth(port: number): Promise<{ status: number; ms: number }> {
  const start = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}/performance/health`, { signal: AbortSignal.timeout(5_000) });
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - start };
}

function droppedLines(metrics: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith('supernova_log_lines_dropped_total'));
  return line === undefined ? Number.NaN : Number(line.split(' ')[1]);
}

describe('shutdown whatever stdout does', () => {
  it('SIGTERM ends the process when stdout is a full pipe nobody reads', { timeout: 60_000 }, async () => {
    const { e, filled } = await engineOnFullPipe();
    expect(filled).toBeGreaterThan(0);
    e.child.kill('SIGTERM');
    const exit = await e.exitWithin(GRACE_MS + FLUSH_MS + MARGIN_MS + SLACK_MS);
    expect(exit, `stderr: ${e.stderr()}`).not.toBe('hung');
    // 0: the drain finished and the log flush gave up at its deadline, before the hard exit.
    expect(exit).toMatchObject({ code: 0 });
    expect((exit as { afterMs: number }).afterMs).toBeLessThan(GRACE_MS + FLUSH_MS + SLACK_MS);
  });

  it('SIGTERM ends the process when the reader dies after the pipe filled', { timeout: 60_000 }, async () => {
    // A long flush deadline: only the write error can end the wait this soon.
    const { pipe, e } = await engineOnFullPipe({ SUPERNOVA_LOG_FLUSH_MS: '30000' });
    e.child.kill('SIGTERM');
    // The drain is done and the exit is waiting on the full pipe when the reader goes.
    await new Promise((r) => setTimeout(r, GRACE_MS + 500));
    expect(e.child.exitCode).toBeNull();
    pipe.closeReader();
    const exit = await e.exitWithin(SLACK_MS);
    expect(exit, `stderr: ${e.stderr()}`).not.toBe('hung');
    expect(exit).toMatchObject({ code: 0 });
  });

  it('a second signal exits at once while the first one waits on the logs', { timeout: 60_000 }, async () => {
    const { e } = await engineOnFullPipe({ SUPERNOVA_LOG_FLUSH_MS: '30000' });
    e.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, GRACE_MS + 500));
    e.child.kill('SIGTERM');
    const exit = await e.exitWithin(SLACK_MS);
    expect(exit, `stderr: ${e.stderr()}`).not.toBe('hung');
    // 128 + SIGTERM (15), as a shell reports a process ended by it.
    expect(exit).toMatchObject({ code: 143 });
  });

  it('while stdout is full the engine keeps answering, and drops and counts the lines beyond its backlog', { timeout: 60_000 }, async () => {
    const backlog = 20;
    const { pipe, e } = await engineOnFullPipe({ SUPERNOVA_LOG_BACKLOG_LINES: String(backlog) });
    await malformedFrames(e.port, 3 * backlog);
    const health = await timedHealth(e.port);
    expect(health.status).toBe(200);
    // The loop is not waiting on the pipe: a health probe answers as on an idle engine.
    expect(health.ms).toBeLessThan(1_000);
    const metrics = await (await fetch(`http://127.0.0.1:${e.port}/metrics`)).text();
    expect(droppedLines(metrics)).toBeGreaterThanOrEqual(2 * backlog);

    // The reader dies while the engine runs: writes fail with EPIPE, and the engine goes on.
    pipe.closeReader();
    await malformedFrames(e.port, backlog);
    expect((await timedHealth(e.port)).status).toBe(200);
    e.child.kill('SIGTERM');
    const exit = await e.exitWithin(GRACE_MS + FLUSH_MS + SLACK_MS);
    expect(exit, `stderr: ${e.stderr()}`).not.toBe('hung');
    expect(exit).toMatchObject({ code: 0 });
  });
});
