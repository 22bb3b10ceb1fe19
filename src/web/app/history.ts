import type { Subscription } from 'centrifuge';
import type { BarLike } from './candles.js';

/**
 * Where the chart's history comes from, best first: the REST bars endpoint, then the `bars:`
 * channel's history, then the `ticks:` channel's history (candles built in the page). Each step
 * answers "nothing" rather than throwing, so a missing source just falls through to the next.
 */

export const REST_BARS_LIMIT = 300;

/** `GET /api/v1/market/:symbol/bars`; `undefined` when the endpoint is absent (404) or fails. */
export async function restBars(symbol: string, interval: string, fetchImpl: typeof fetch = fetch): Promise<BarLike[] | undefined> {
  const url = `/api/v1/market/${encodeURIComponent(symbol)}/bars?interval=${encodeURIComponent(interval)}&limit=${REST_BARS_LIMIT}`;
  try {
    const res = await fetchImpl(url, { headers: { accept: 'application/json' } });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { items?: unknown };
    return Array.isArray(body.items) ? (body.items as BarLike[]) : undefined;
  } catch {
    return undefined;
  }
}

/** The newest `limit` publications of a subscribed channel, oldest first. */
export async function channelHistory(sub: Subscription, limit: number): Promise<{ data: unknown; offset: number | undefined }[]> {
  try {
    const result = await sub.history({ limit, reverse: true });
    return result.publications.reverse().map((p) => ({ data: p.data as unknown, offset: p.offset }));
  } catch {
    // A channel without history (or a subscription torn down meanwhile) has nothing to offer.
    return [];
  }
}
