import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ServerSampler } from '../server-sampler.js';
import { leakVerdict } from './leak-verdict.js';

const fixture = fileURLToPath(new URL('../fixtures/memory-server.ts', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

async function startServer(mode: 'leak' | 'steady'): Promise<{ pid: number; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('memory server did not start')), 10_000);
    child.stdout?.once('data', (d: Buffer) => {
      clearTimeout(timer);
      resolve(Number(d.toString().trim()));
    });
  });
  return { pid: child.pid ?? -1, url: `http://127.0.0.1:${port}/` };
}

/** Requests at a steady pace for `ms` while RSS is sampled from /proc; returns the verdict. */
async function measure(mode: 'leak' | 'steady', ms: number) {
  const server = await startServer(mode);
  // Warm-up before sampling: V8 grows its young generation to full size over the first few
  // hundred requests, which is growth, but not a leak (the suite's runs skip a warm-up share too).
  for (let i = 0; i < 50; i++) await Promise.all(Array.from({ length: 4 }, () => fetch(server.url).then((r) => r.text())));
  const sampler = new ServerSampler({ pid: server.pid, intervalMs: 100 });
  sampler.start();
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await Promise.all(Array.from({ length: 4 }, () => fetch(server.url).then((r) => r.text())));
    // About 50 requests/s: 10 MiB/s kept by the leaking server, young garbage for the steady one.
    await new Promise((r) => setTimeout(r, 80));
  }
  sampler.stop();
  return leakVerdict(sampler.samples);
}

describe('memory-leak test against real servers', () => {
  it('flags a server that keeps memory per request', async () => {
    const v = await measure('leak', 3000);
    expect(v.verdict, v.reason).toBe('leak');
  });

  it('does not flag a server doing the same work without keeping it', async () => {
    const v = await measure('steady', 3000);
    expect(v.verdict, v.reason).toBe('no-leak');
  });
});
