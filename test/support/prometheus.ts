import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** Where Debian's prometheus package puts its binaries (test/support/ensure-prometheus.ts installs it). */
export const PROMTOOL = '/usr/bin/promtool';
export const PROMETHEUS = '/usr/bin/prometheus';

/**
 * Whether promtool and prometheus are installed. Locally a missing one skips its tests (and says
 * so); under CI=true it is a failure, so a green CI always means they ran.
 */
export function prometheusInstalled(): boolean {
  const missing = [PROMTOOL, PROMETHEUS].filter((f) => !existsSync(f));
  if (missing.length === 0) return true;
  const why = `${missing.join(' and ')} missing (Debian's prometheus package; npm test's pretest installs it when it may)`;
  if (process.env.CI === 'true') throw new Error(`${why}: required under CI`);
  console.warn(`skipping Prometheus tests: ${why}`);
  return false;
}

export interface PrometheusOptions {
  /** host:port of each target of the job `supernova`. */
  targets: string[];
  /** Rule files, by absolute path. */
  ruleFiles?: string[];
  /** More scrape jobs, as in a configuration file. */
  scrapeConfigs?: unknown[];
  /** Files written beside the configuration (file_sd target lists), by name. */
  files?: Record<string, string>;
  scrapeIntervalSeconds?: number;
}

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** A free loopback port: Prometheus cannot listen on port 0 and say which port it got. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port from a loopback listener');
  return address.port;
}

/** A real Prometheus on a free loopback port, with its configuration and storage in a temp dir removed at stop(). */
export class PrometheusServer {
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly url: string,
    private readonly exited: Promise<void>,
  ) {
    child.stdout?.on('data', (d: Buffer) => this.keep(d));
    child.stderr?.on('data', (d: Buffer) => this.keep(d));
  }

  static async start(options: PrometheusOptions, timeoutMs = 20_000): Promise<PrometheusServer> {
    const dir = mkdtempSync(join(tmpdir(), 'supernova-prometheus-'));
    const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
    writeFileSync(join(dir, 'prometheus.yml'), stringify({
      global: { scrape_interval: interval, evaluation_interval: interval },
      rule_files: options.ruleFiles ?? [],
      scrape_configs: [{ job_name: 'supernova', static_configs: [{ targets: options.targets }] }, ...(options.scrapeConfigs ?? [])],
    }));
    for (const [name, content] of Object.entries(options.files ?? {})) writeFileSync(join(dir, name), content);
    // The port can be taken between freePort() and Prometheus' bind: then try another.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const child = spawn(PROMETHEUS, [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ], { stdio: ['ignore', 'pipe', 'pipe'] });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const server = new PrometheusServer(child, dir, `http://127.0.0.1:${port}`, exited);
      try {
        await server.ready(timeoutMs);
        return server;
      } catch (err) {
        const retry = attempt < 3 && server.output.includes('address already in use');
        await server.stop({ keepDir: retry });
        if (!retry) throw err;
      }
    }
  }

  /** An instant query's result vector. */
  async query(expr: string): Promise<Sample[]> {
    const res = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = await res.json() as { status: string; error?: string; data?: { resultType: string; result: Sample[] } };
    if (body.status !== 'success' || body.data?.resultType !== 'vector') throw new Error(`query ${expr}: ${body.error ?? JSON.stringify(body)}`);
    return body.data.result;
  }

  async get<T>(path: string): Promise<T> {
    const res = await fetch(`${this.url}${path}`);
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return (await res.json() as { data: T }).data;
  }

  async stop(options: { keepDir?: boolean } = {}): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const killer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
      await this.exited;
      clearTimeout(killer);
    }
    if (!options.keepDir) rmSync(this.dir, { recursive: true, force: true });
  }

  private async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`prometheus exited at start: ${this.output}`);
      try {
        if ((await fetch(`${this.url}/-/ready`)).ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`prometheus not ready within ${timeoutMs} ms: ${this.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private keep(d: Buffer): void {
    this.output = (this.output + d.toString()).slice(-16_384);
  }
}

/** Polls an asynchronous condition every 200 ms (a scrape or an evaluation is a second apart). */
export async function eventually(predicate: () => Promise<boolean>, label: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
