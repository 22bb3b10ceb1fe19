import type { Centrifuge, PublicationContext, SubscribedContext, Subscription, SubscriptionOptions } from 'centrifuge';
import { CandleStore, type BarLike } from './candles.js';
import { CHART_HISTORY_LIMIT, fetchBars } from './history.js';

export type RecoveryOutcome = 'recovered' | 'resynced';

export interface ChartFeedOptions {
  client: Centrifuge;
  symbol: string;
  /** The bar interval's channel name (`1s`, `1m`) and its length. */
  interval: { name: string; ms: number };
  /** Called after candles changed (batched by the caller). */
  onChange: () => void;
  /** Called when a resubscription after a disconnect recovered the missed bars, or had to reload. */
  onRecovery: (outcome: RecoveryOutcome) => void;
  /** Options of the `bars:` subscription (`?delta=1` asks for fossil deltas). */
  subscribeOptions?: Pick<SubscriptionOptions, 'delta'>;
}

/** Live publications held while history loads; past this the load is redone from scratch. */
const MAX_PENDING = 5000;

/**
 * Feeds one symbol's candles: subscribe to `bars:INTERVAL:SYM` and hold its publications, load
 * the closed bars over REST, then apply what was held. Partial bars update their candle, final
 * bars fix it, so the overlap of history and live is harmless. The channel is recoverable: after
 * a reconnect the SDK replays the bars missed meanwhile and the series has no gap; when the
 * window was lost, history is loaded again.
 */
export class ChartFeed {
  readonly store: CandleStore;
  readonly bars: Subscription;
  private pending: PublicationContext[] | undefined = [];
  private overflowed = false;
  /** Bumped by every load and by dispose(), so a superseded load stops at its await. */
  private generation = 0;

  constructor(private readonly o: ChartFeedOptions) {
    this.store = new CandleStore(o.interval.ms);
    const channel = `bars:${o.interval.name}:${o.symbol}`;
    this.bars = o.client.getSubscription(channel) ?? o.client.newSubscription(channel, o.subscribeOptions);
    this.bars.on('publication', (ctx) => this.onPublication(ctx));
    this.bars.on('subscribed', (ctx) => this.onSubscribed(ctx));
    this.bars.subscribe();
  }

  get symbol(): string {
    return this.o.symbol;
  }

  get interval(): string {
    return this.o.interval.name;
  }

  dispose(): void {
    this.generation++;
    this.bars.removeAllListeners();
    this.bars.unsubscribe();
    this.o.client.removeSubscription(this.bars);
  }

  private onPublication(ctx: PublicationContext): void {
    if (this.pending) {
      if (this.pending.length < MAX_PENDING) this.pending.push(ctx);
      else this.overflowed = true;
      return;
    }
    this.apply(ctx.data as unknown);
    this.o.onChange();
  }

  private onSubscribed(ctx: SubscribedContext): void {
    if (!ctx.wasRecovering) {
      void this.load();
      return;
    }
    if (ctx.recovered) {
      this.o.onRecovery('recovered');
      return;
    }
    // The history window was lost while we were away: start over from REST.
    this.o.onRecovery('resynced');
    void this.load();
  }

  private async load(): Promise<void> {
    const generation = ++this.generation;
    this.pending ??= [];
    this.overflowed = false;
    this.store.clear();
    const history = await fetchBars(this.o.symbol, this.o.interval.name, CHART_HISTORY_LIMIT);
    if (generation !== this.generation) return;
    for (const bar of history) this.apply(bar, true);
    if (this.overflowed) {
      this.pending = [];
      void this.load();
      return;
    }
    const held = this.pending ?? [];
    this.pending = undefined;
    for (const ctx of held) this.apply(ctx.data as unknown);
    this.o.onChange();
  }

  private apply(data: unknown, closed = false): void {
    if (typeof data === 'object' && data !== null) this.store.applyBar(data as BarLike, closed);
  }
}
