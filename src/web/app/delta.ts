import type { Subscription, SubscriptionOptions } from 'centrifuge';

/**
 * `?delta=1` asks for fossil deltas on the channels whose publications repeat most of the
 * previous one (`market:` snapshots, `bars:` partials); the SDK applies them, so the page sees
 * whole data either way. Other values, or none, subscribe without delta.
 */
export function pageDelta(search: string): Pick<SubscriptionOptions, 'delta'> {
  return new URLSearchParams(search).get('delta') === '1' ? { delta: 'fossil' } : {};
}

/** Publications of the subscriptions that arrived as deltas (SDK-side), for the page's probe. */
export function deltaPayloads(subs: Iterable<Subscription>): number {
  let n = 0;
  for (const sub of subs) n += sub.deltaStats().numDeltaPayloads;
  return n;
}
