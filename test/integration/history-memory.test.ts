import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, type TestEngine } from '../support/engine.js';
import { RawSocket } from '../support/raw-socket.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MiB = 1024 * 1024;
const BUDGET = 8 * MiB;

// Issue #12, defect 3: anonymous clients publishing large payloads into fresh `public:` channels
// grew the heap by hundreds of MB that stayed for the history TTL. History is bounded in bytes now.
let t: TestEngine;
beforeAll(async () => {
  t = await startEngine({ namespaces: [{ name: 'public', historySize: 100, recoverable: true, allowPublish: true, historyMaxBytes: MiB, historyNamespaceMaxBytes: BUDGET }] });
});
afterAll(async () => { await t.stop(); });

async function heapAfterGc(): Promise<number> {
  await new Promise((r) => setTimeout(r, 50));
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('history memory under a flood of anonymous publications', () => {
  it('ten sockets publishing 60 KB into fresh channels at the allowed rate stay within the namespace budget', async () => {
    const before = await heapAfterGc();
    const sockets = await Promise.all(Array.from({ length: 10 }, async () => {
      const s = new RawSocket(t.url);
      await s.opened;
      s.send({ id: 1, connect: {} });
      await s.reply(1);
      return s;
    }));
    const payload = 'x'.repeat(60_000);
    let sent = 0;
    let id = 2;
    // Six times the budget, within the command rate: the flood is paced, so it is allowed.
    while (sent * 60_000 < 6 * BUDGET) {
      for (const [i, s] of sockets.entries()) s.send({ id, publish: { channel: `public:flood-${i}-${id}`, data: { text: payload } } });
      sent += sockets.length;
      id++;
      await new Promise((r) => setTimeout(r, 10));
    }
    // Every socket's last publication was accepted: the budget drops old history, never refuses.
    for (const s of sockets) expect((await s.reply(id - 1, 10_000)).publish).toEqual({});
    const offered = sent * 60_000;
    expect(offered).toBeGreaterThanOrEqual(6 * BUDGET);
    const stats = (t.engine.broker as unknown as { historyStats(): { namespaces: Record<string, { bytes: number }> } }).historyStats();
    expect(stats.namespaces.public?.bytes).toBeLessThanOrEqual(BUDGET);
    const grown = (await heapAfterGc()) - before;
    expect(grown).toBeLessThan(BUDGET + 24 * MiB);
    const metrics = await (await fetch(`${t.http}/metrics`)).text();
    expect(metrics).toMatch(/supernova_history_evicted_total\{reason="namespace"\} [1-9]/);
    expect(metrics).toMatch(/supernova_history_bytes\{namespace="public"\} \d+/);
    for (const s of sockets) s.close();
  }, 30_000);
});
