import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis-server.js';

/**
 * A PostgreSQL server of the test's own, on a free port in a temporary directory, from the
 * machine's `initdb` and `pg_ctl`, for fault tests that stop and start it. PostgreSQL refuses to
 * run as root: as root the server runs as the `postgres` system user.
 */
export class PrivatePostgres {
  private constructor(readonly dir: string, readonly port: number, private readonly asUser: string | undefined) {}

  static installed(): boolean {
    const ok = spawnSync('pg_ctl', ['--version'], { stdio: 'ignore' }).status === 0 && spawnSync('initdb', ['--version'], { stdio: 'ignore' }).status === 0;
    if (!ok && process.env.CI === 'true') throw new Error('initdb and pg_ctl (the machine\'s PostgreSQL binaries) are required under CI');
    if (!ok) console.warn('skipping tests that start their own PostgreSQL: initdb or pg_ctl not found');
    return ok;
  }

  static async start(): Promise<PrivatePostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'supernova-pg-'));
    const asUser = userInfo().uid === 0 ? 'postgres' : undefined;
    if (asUser) {
      const uid = Number(execFileSync('id', ['-u', asUser], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', asUser], { encoding: 'utf8' }).trim());
      chownSync(dir, uid, gid);
    }
    const pg = new PrivatePostgres(dir, await freePort(), asUser);
    pg.run('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    await pg.startServer();
    return pg;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** Starts the server (again) on its port and waits until it accepts connections. */
  async startServer(): Promise<void> {
    this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-l', join(this.dir, 'log'), '-w', '-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  }

  /** Stops it at once, as a crash would (no checkpoint; clients are cut off). */
  stopServer(): void {
    this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'immediate', '-w', 'stop']);
  }

  async stop(): Promise<void> {
    try {
      this.stopServer();
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private run(bin: string, args: string[]): void {
    const [cmd, argv] = this.asUser ? ['runuser', ['-u', this.asUser, '--', bin, ...args]] : [bin, args];
    const res = spawnSync(cmd, argv as string[], { encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`${bin} failed (${res.status}): ${res.stderr || res.stdout}`);
  }
}
