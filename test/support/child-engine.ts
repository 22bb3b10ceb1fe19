import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface ChildEngine {
  child: ChildProcessWithoutNullStreams;
  port: number;
  url: string;
  http: string;
  output(): string;
  /** CPU time (user + system) the child used, in seconds. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** Clock ticks per second of /proc/PID/stat (USER_HZ), 100 on every Linux that matters here. */
const USER_HZ = 100;

/**
 * `npm start`'s engine (src/main.ts) in a child process, optionally under a soft open-file limit
 * (`ulimit -n`), on a free port, configured by the given SUPERNOVA_* variables.
 */
export async function startChildEngine(env: Record<string, string>, openFiles?: number): Promise<ChildEngine> {
  const node = `exec '${process.execPath}' --import tsx src/main.ts`;
  const child = spawn('bash', ['-c', openFiles === undefined ? node : `ulimit -n ${openFiles} && ${node}`], {
    cwd: root,
    env: { ...process.env, SUPERNOVA_PORT: '0', SUPERNOVA_HOST: '127.0.0.1', SUPERNOVA_FEED: 'none', SUPERNOVA_SENTIMENT: 'false', SUPERNOVA_DASHBOARD: 'false', SUPERNOVA_LOG_LEVEL: 'info', SUPERNOVA_SHUTDOWN_GRACE_MS: '200', SUPERNOVA_DRAIN_DELAY_MS: '0', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 20_000;
  let port: number | undefined;
  while (port === undefined) {
    const line = out.split('\n').find((l) => l.includes('supernova listening'));
    if (line) port = (JSON.parse(line) as { port: number }).port;
    else if (child.exitCode !== null || Date.now() > deadline) throw new Error(`engine did not start; output: ${out}`);
    else await new Promise((r) => setTimeout(r, 25));
  }
  return {
    child,
    port,
    url: `ws://127.0.0.1:${port}/connection/websocket`,
    http: `http://127.0.0.1:${port}`,
    output: () => out,
    cpuSeconds: () => {
      // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
    },
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Runs the engine's main.ts as a child and waits for it to exit; for start-up errors. */
export async function runChildEngine(env: Record<string, string>, openFiles?: number): Promise<{ code: number | null; output: string }> {
  const node = `exec '${process.execPath}' --import tsx src/main.ts`;
  const child = spawn('bash', ['-c', openFiles === undefined ? node : `ulimit -n ${openFiles} && ${node}`], {
    cwd: root, env: { ...process.env, SUPERNOVA_PORT: '0', SUPERNOVA_HOST: '127.0.0.1', SUPERNOVA_FEED: 'none', SUPERNOVA_SENTIMENT: 'false', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  return { code, output };
}

export type UpgradeOutcome =
  | { kind: 'open'; ws: WebSocket }
  | { kind: 'refused'; status: number; body: string; retryAfter: string | undefined }
  | { kind: 'failed'; error: string };

/** One WebSocket upgrade: open, refused with an HTTP status (and its body), or failed otherwise. */
export function upgrade(url: string, timeoutMs = 5_000): Promise<UpgradeOutcome> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => {
      ws.terminate();
      resolve({ kind: 'failed', error: `no answer in ${timeoutMs} ms` });
    }, timeoutMs);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve({ kind: 'open', ws });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => {
        clearTimeout(timer);
        const retryAfter = res.headers['retry-after'];
        resolve({ kind: 'refused', status: res.statusCode ?? 0, body, retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined });
        ws.terminate();
      });
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      resolve({ kind: 'failed', error: err.message });
    });
  });
}

/** GET a path with a deadline; the time it took, the status and the parsed JSON body. */
export async function timedGet(url: string, timeoutMs: number): Promise<{ ms: number; status: number; body: unknown } | { ms: number; error: string }> {
  const t0 = performance.now();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    return { ms: performance.now() - t0, status: res.status, body: text.startsWith('{') ? JSON.parse(text) as unknown : text };
  } catch (err) {
    return { ms: performance.now() - t0, error: (err as Error).message };
  }
}
