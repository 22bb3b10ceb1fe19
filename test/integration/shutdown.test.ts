import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connected, sdkClient, until } from '../support/client.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('graceful shutdown', () => {
  it('SIGTERM drains: clients get 3001, and the process exits 0', { timeout: 30_000 }, async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env: { ...process.env, SUPERNOVA_PORT: String(port), SUPERNOVA_HOST: '127.0.0.1', SUPERNOVA_LOG_LEVEL: 'info', SUPERNOVA_SYMBOLS: 'AAPL' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await until(() => out.includes('supernova listening'), `engine start; output: ${out}`, 20_000);

    const c = sdkClient(`ws://127.0.0.1:${port}/connection/websocket`, { minReconnectDelay: 60_000, maxReconnectDelay: 60_000 });
    await connected(c);
    const code = new Promise<number>((resolve) => c.once('connecting', (ctx) => resolve(ctx.code)));
    child.kill('SIGTERM');
    expect(await code).toBe(3001);
    expect(await exited).toBe(0);
    expect(out).toContain('supernova stopped');
    c.disconnect();
  });

  it('a bad configuration value stops start-up with a message naming the variable', { timeout: 30_000 }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root, env: { ...process.env, SUPERNOVA_PORT: 'eighty' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(err).toContain('SUPERNOVA_PORT');
  });
});
