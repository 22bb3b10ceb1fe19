import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { epochMs } from '../shared/clock.js';
import { ApiPublishClient } from './api-publish.js';

interface Seen {
  auth: string | undefined;
  body: { channel: string; data: { ts: number; seq: number } };
  receivedAt: number;
  answer: (status: number, text: string) => void;
}

/** A server API stand-in on a real socket that answers only when the test says so. */
async function fakeNode(): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => seen.push({
      auth: req.headers.authorization,
      body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Seen['body'],
      receivedAt: epochMs(),
      answer: (status, text) => res.writeHead(status, { 'content-type': 'application/json' }).end(text),
    }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, seen, server };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

describe('server API publisher', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  it('keeps at most maxInFlight requests open, queues the next, skips past the queue, and counts failures per channel', async () => {
    const node = await fakeNode();
    const client = new ApiPublishClient({ url: node.url, apiKey: 'k', maxInFlight: 2, maxQueued: 1 });
    cleanups.push(() => client.close(), () => node.server.close());
    expect([client.publish('bench:0', 0), client.publish('bench:0', 1), client.publish('bench:0', 2), client.publish('bench:0', 3)]).toEqual([true, true, true, false]);
    await until(() => node.seen.length === 2);
    expect(node.seen.map((s) => s.body.data.seq)).toEqual([0, 1]);
    expect(node.seen[0]?.auth).toBe('apikey k');
    // The queued one is sent, and stamped, only once a request is answered.
    await new Promise((r) => setTimeout(r, 30));
    const freedAt = epochMs();
    node.seen[0]?.answer(200, '{"result":{"offset":1,"epoch":"e"}}');
    node.seen[1]?.answer(503, '{"error":{"code":100,"message":"temporary"}}');
    await until(() => node.seen.length === 3);
    const third = node.seen[2] as Seen;
    expect(third.body.data.seq).toBe(2);
    expect(third.body.data.ts).toBeGreaterThanOrEqual(freedAt);
    third.answer(200, '{"error":{"code":107,"message":"bad"}}');
    expect(await client.settle(2000)).toBe(true);
    const stats = client.stats();
    expect(stats).toMatchObject({ sent: 3, ok: 1, failed: 2, skipped: 1, maxQueued: 1 });
    expect(stats.problems[0]).toMatch(/HTTP 503/);
    expect(client.failedIn('bench:0')).toBe(2);
    client.resetStats();
    expect(client.stats()).toMatchObject({ sent: 0, failed: 0, skipped: 0 });
    expect(client.failedIn('bench:0')).toBe(0);
  });

  it('settle reports false while a request is still unanswered', async () => {
    const node = await fakeNode();
    const client = new ApiPublishClient({ url: node.url, apiKey: 'k', maxInFlight: 1, maxQueued: 0 });
    cleanups.push(() => client.close(), () => node.server.close());
    client.publish('bench:0', 0);
    expect(await client.settle(50)).toBe(false);
    await until(() => node.seen.length === 1);
    node.seen[0]?.answer(200, '{"result":{}}');
    expect(await client.settle(2000)).toBe(true);
  });
});
