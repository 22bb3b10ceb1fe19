import { Centrifuge, type Options, type Subscription, type SubscriptionOptions } from 'centrifuge';
import WebSocket from 'ws';

/** The official SDK in Node, as a dashboard backend would run it. */
export function sdkClient(url: string, options: Partial<Options> = {}): Centrifuge {
  return new Centrifuge(url, { websocket: WebSocket, minReconnectDelay: 50, maxReconnectDelay: 200, timeout: 5000, ...options });
}

export function connected(client: Centrifuge): Promise<void> {
  return new Promise((resolve, reject) => {
    client.once('connected', () => resolve());
    client.once('disconnected', (ctx) => reject(new Error(`disconnected ${ctx.code} ${ctx.reason}`)));
    client.connect();
  });
}

export async function subscribed(client: Centrifuge, channel: string, options: Partial<SubscriptionOptions> = {}): Promise<Subscription> {
  const sub = client.newSubscription(channel, options);
  const done = new Promise<void>((resolve, reject) => {
    sub.once('subscribed', () => resolve());
    sub.once('error', (ctx) => reject(new Error(`subscription error ${ctx.error.code} ${ctx.error.message}`)));
    sub.once('unsubscribed', (ctx) => reject(new Error(`unsubscribed ${ctx.code} ${ctx.reason}`)));
  });
  sub.subscribe();
  await done;
  return sub;
}

/** Resolves when the predicate holds, polling; fails with the label after the timeout. */
export async function until(predicate: () => boolean, label: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** POSTs to the server API. */
export async function api(http: string, method: string, body: unknown, key = 'test-key'): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${http}/api/${method}`, { method: 'POST', headers: { authorization: `apikey ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}
