import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export const REDIS_HOST = '127.0.0.1';
/** Output kept for a failure report: a failed start says why on its last lines. */
const TAIL_BYTES = 16 * 1024;
/** Attempts at a start whose port another process took between our probe and its bind. */
const PORT_ATTEMPTS = 8;
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 3_000;

export interface RedisServerOptions {
  /** More redis-server arguments, e.g. `['--appendonly', 'yes']` (persistence is off by default). */
  args?: readonly string[];
  /** A cluster node: `--cluster-enabled yes`, its own nodes file and a bus port of its own (not port + 10000). */
  cluster?: boolean;
  /**
   * A Sentinel with these directives (`sentinel monitor NAME 127.0.0.1 PORT 1`, ...): Sentinel
   * needs a config file it may rewrite, which is written into the server's directory.
   */
  sentinel?: readonly string[];
}

/** The Debian package that brings redis-server (and, through redis-tools, redis-cli; Sentinel is redis-server --sentinel). */
export const REDIS_PACKAGE = 'redis-server';

/** Which of the binaries the harnesses run are not on PATH. */
export function missingRedisBinaries(): string[] {
  return ['redis-server', 'redis-cli'].filter((bin) => spawnSync(bin, ['--version'], { stdio: 'ignore' }).status !== 0);
}

/**
 * Whether this machine can run the servers the topology and fault tests start (Debian packages
 * redis-server and redis-tools, which the pretest step installs). Locally their absence skips
 * those tests, saying so; under CI=true it is a failure.
 */
export function redisServerInstalled(): boolean {
  const missing = missingRedisBinaries();
  if (missing.length === 0) return true;
  const what = `${missing.join(' and ')} not installed (Debian: apt-get install ${REDIS_PACKAGE})`;
  if (process.env.CI === 'true') throw new Error(`${what}: required under CI`);
  console.warn(`skipping tests that start their own Redis: ${what}`);
  return false;
}

/** A port nothing listens on now; the caller binds it soon and retries on EADDRINUSE. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, REDIS_HOST, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * The process id of the Redis (or Sentinel) answering on the port, or undefined when none does;
 * a raw `INFO server` exchange, so it needs no client and no auth.
 */
export function pidOnPort(port: number, timeoutMs = 500): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, REDIS_HOST);
    let seen = '';
    const done = (pid: number | undefined) => {
      socket.destroy();
      resolve(pid);
    };
    socket.setTimeout(timeoutMs, () => done(undefined));
    socket.on('error', () => done(undefined));
    socket.on('connect', () => socket.write('INFO server\r\n'));
    socket.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.startsWith('-')) return done(undefined); // LOADING and the like: not ready yet
      const m = /process_id:(\d+)\r\n/.exec(seen);
      if (m) done(Number(m[1]));
    });
  });
}

/** A short-lived plain connection to one server (no retries, RESP2 replies) for the harness's own checks. */
export async function withRedis<T>(server: { host: string; port: number }, use: (r: Redis) => Promise<T>, password?: string): Promise<T> {
  const r = new Redis(server.port, server.host, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, protocol: 2, ...(password ? { password } : {}) });
  r.on('error', () => {});
  try {
    await r.connect();
    return await use(r);
  } finally {
    r.disconnect();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A private `redis-server` on 127.0.0.1 and a free port, in a temporary directory of its own,
 * without persistence (`--save '' --appendonly no`) unless `args` says otherwise. stop() ends it
 * and removes the directory; kill() and restart() are for fault tests (restart keeps the port).
 * A server left running when the test process exits is killed with it.
 */
export class RedisServer {
  readonly host = REDIS_HOST;
  /** The cluster bus port of a cluster node, else 0. */
  busPort = 0;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private tail = '';
  /** A test process that exits with the server still up takes it, and its files, along. */
  private readonly killOnExit = () => {
    this.child?.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  };

  private constructor(readonly dir: string, public port: number, private readonly options: RedisServerOptions) {}

  /** Starts a server on a free port (another port when the one picked is taken before the bind). */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const dir = mkdtempSync(join(tmpdir(), options.sentinel ? 'supernova-sentinel-' : 'supernova-redis-'));
    const server = new RedisServer(dir, 0, options);
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
      server.port = await freePort();
      if (options.cluster) server.busPort = await freePort();
      try {
        await server.launch();
        return server;
      } catch (err) {
        lastError = err as Error;
        if (!(err instanceof PortTakenError)) break;
      }
    }
    await server.stop();
    throw lastError ?? new Error('redis-server did not start');
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get url(): string {
    return `redis://${this.address}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** What the server printed last (for a failure message). */
  output(): string {
    return this.tail;
  }

  /** SIGKILL, as a crash: no shutdown, the directory stays for restart(). */
  async kill(): Promise<void> {
    await this.end('SIGKILL');
  }

  /** Starts the server again on the same port (stopping it first if it runs); waits until it answers. Not after stop(). */
  async restart(): Promise<void> {
    if (!existsSync(this.dir)) throw new Error(`redis-server on port ${this.port} was stopped (its directory is gone): start a new one`);
    await this.end('SIGTERM');
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      try {
        await this.launch();
        return;
      } catch (err) {
        // The port can be in another process's hands for a moment; the restart must keep it.
        if (!(err instanceof PortTakenError) || Date.now() > deadline) throw err;
        await sleep(100);
      }
    }
  }

  /** Ends the server (SIGTERM, SIGKILL if it lingers) and removes its directory. Idempotent. */
  async stop(): Promise<void> {
    await this.end('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private argv(): string[] {
    const common = ['--port', String(this.port), '--bind', this.host, '--dir', this.dir];
    if (this.options.sentinel) {
      const file = join(this.dir, 'sentinel.conf');
      // Sentinel rewrites this file with what it learns; a restart keeps that.
      if (!existsSync(file)) writeFileSync(file, `${this.options.sentinel.join('\n')}\n`);
      return [file, '--sentinel', ...common];
    }
    const cluster = this.options.cluster
      ? ['--cluster-enabled', 'yes', '--cluster-config-file', join(this.dir, 'nodes.conf'), '--cluster-port', String(this.busPort), '--cluster-node-timeout', '2000']
      : [];
    return [...common, '--save', '', '--appendonly', 'no', ...cluster, ...(this.options.args ?? [])];
  }

  private async launch(): Promise<void> {
    this.tail = '';
    const child = spawn('redis-server', this.argv(), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    process.on('exit', this.killOnExit);
    let gone: { code: number | null; signal: NodeJS.Signals | null; error?: Error } | undefined;
    this.exited = new Promise((resolve) => {
      const settle = (code: number | null, signal: NodeJS.Signals | null, error?: Error) => {
        gone ??= { code, signal, ...(error ? { error } : {}) };
        if (this.child === child) this.child = undefined;
        process.off('exit', this.killOnExit);
        resolve();
      };
      child.once('exit', (code, signal) => settle(code, signal));
      child.once('error', (error) => settle(null, null, error));
    });
    const keep = (d: Buffer) => { this.tail = (this.tail + d.toString()).slice(-TAIL_BYTES); };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (gone) {
        if (/Address already in use/i.test(this.tail)) throw new PortTakenError(this.port);
        const why = gone.error ? gone.error.message : `exit ${gone.code ?? gone.signal}`;
        throw new Error(`redis-server on port ${this.port} did not start (${why}): ${this.tail}`);
      }
      // Another process may answer on a port we lost: only our own counts. A server logs that it
      // is ready once bound (one with a password answers nothing else); a Sentinel tells its pid,
      // or with a password of its own logs that it monitors its master (after binding its port).
      if (/Ready to accept connections/.test(this.tail) || (this.options.sentinel && /\+monitor master/.test(this.tail))) return;
      if ((await pidOnPort(this.port)) === child.pid) return;
      if (Date.now() > deadline) {
        await this.end('SIGKILL');
        throw new Error(`redis-server on port ${this.port} did not answer within ${START_TIMEOUT_MS} ms: ${this.tail}`);
      }
      await sleep(25);
    }
  }

  private async end(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }
}

/** The port was taken between the probe and redis-server's bind. */
class PortTakenError extends Error {
  constructor(port: number) {
    super(`port ${port} was taken before redis-server could bind it`);
    this.name = 'PortTakenError';
  }
}

/** Starts a private redis-server (see RedisServer). */
export function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  return RedisServer.start(options);
}
