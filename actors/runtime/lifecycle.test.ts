import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ActorRuntime, ActorStoppedError, ask, RuntimeNotRunningError } from './index.js';
import { turns } from './test-support.js';

const runtimes: ActorRuntime[] = [];
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((rt) => rt.stop()));
});

/** Timers and immediates currently keeping the event loop alive. */
function loopHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'Immediate').length;
}

describe('ActorRuntime lifecycle', () => {
  it('is single-use: root needs start(), start() is idempotent, restart after stop() throws', async () => {
    const rt = new ActorRuntime({ name: 'life' });
    runtimes.push(rt);
    expect(() => rt.root).toThrow(RuntimeNotRunningError);
    rt.start();
    const root = rt.root;
    rt.start();
    expect(rt.root).toBe(root);
    expect(rt.running).toBe(true);
    const first = rt.stop();
    expect(rt.stop()).toBe(first);
    await first;
    expect(rt.running).toBe(false);
    expect(() => rt.start()).toThrow(RuntimeNotRunningError);
    expect(() => rt.root.spawn({ initialState: () => 0, handle: (s: number) => s })).toThrow(ActorStoppedError);
  });

  it('stop() stops everything, runs every onStop, rejects asks and leaves no timer or immediate behind', async () => {
    await turns(2);
    const baseline = loopHandles();
    const rt = new ActorRuntime({ name: 'life' });
    runtimes.push(rt);
    rt.start();
    const stopped: string[] = [];
    const sup = rt.supervisor('work', { maxChildrenPerShard: 4 });
    const refs = Array.from({ length: 20 }, (_, i) =>
      (i % 2 ? sup : rt.root).spawn<number, string>({
        initialState: () => i,
        handlerTimeoutMs: 60_000,
        handle: (n, m) => (m === 'hang' ? new Promise<number>(() => undefined) : n + 1),
        onStop: () => void stopped.push(`${i}`),
      }),
    );
    for (const ref of refs) {
      ref.tell('hang');
      ref.tell('queued');
    }
    const pending = ask(refs[0]!, () => 'queued', 60_000);
    const outcome = expect(pending).rejects.toBeInstanceOf(ActorStoppedError);
    await turns(2); // handlers in flight: watchdog timers armed
    expect(loopHandles()).toBeGreaterThan(baseline);
    expect(rt.stats()).toMatchObject({ actors: 20, mailboxDepth: 41, pendingAsks: 1 });

    await rt.stop();
    await outcome;
    expect(stopped).toHaveLength(20);
    expect(refs.every((r) => r.stopped && !r.tell('late'))).toBe(true);
    expect(rt.stats()).toMatchObject({ actors: 0, mailboxDepth: 0, pendingAsks: 0, shards: 0 });
    expect(loopHandles()).toBe(baseline);
  });

  it('a process that stops its runtime exits on its own (nothing keeps the loop alive)', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/exits-after-stop.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 8_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearTimeout(killer);
    expect(stderr).toBe('');
    expect(code).toBe(0); // SIGKILL (null) would mean it hung
    expect(JSON.parse(stdout)).toMatchObject({ stats: { actors: 0, mailboxDepth: 0, pendingAsks: 0 }, ask: 'ACTOR_STOPPED' });
  });
});
