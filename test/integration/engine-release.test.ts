import { describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startEngine } from '../support/engine.js';
import { connected, sdkClient, subscribed } from '../support/client.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Starts an engine, uses its WebSocket, HTTP and ingest paths, stops it, and hands back only a weak reference. */
async function usedAndStopped(): Promise<WeakRef<object>> {
  const t = await startEngine({ apiKey: 'k' });
  const c = sdkClient(t.url);
  await connected(c);
  await subscribed(c, 'ticks:REL');
  const res = await fetch(`${t.http}/api/v1/ingest/ticks`, {
    method: 'POST',
    headers: { authorization: 'apikey k', 'content-type': 'application/json' },
    body: JSON.stringify([{ symbol: 'REL', price: 10, size: 1, ts: Date.now() }]),
  });
  expect(res.status).toBe(200);
  expect((await fetch(`${t.http}/api/v1/market/REL`)).status).toBe(200);
  c.disconnect();
  await t.stop();
  return new WeakRef(t.engine);
}

describe('engine lifecycle', () => {
  it('a stopped engine is garbage: the native server keeps none of its handlers, so none of its state', { timeout: 20_000 }, async () => {
    const engine = await usedAndStopped();
    for (let i = 0; i < 20 && engine.deref(); i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      gc();
    }
    expect(engine.deref(), 'the stopped engine is still reachable').toBeUndefined();
  });
});
