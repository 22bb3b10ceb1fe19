import type { Centrifuge, PublicationContext, SubscribedContext, Subscription } from 'centrifuge';
import { CandleStore, INTERVAL_MS, type BarLike, type TradeLike } from './candles.js';
import { channelHistory, restBars, REST_BARS_LIMIT } from './history.js';

export type RecoveryOutcome = 'recovered' | 'resynced';

export interface ChartFeedOptions {
  client: Centrifuge;
  symbol: string;
  interval: string;
  /** Called after candles changed (batched by the caller). */
  onChange: () => void;
  /** Called when a resubscription after a disconnect recovered the missed trades, or had to reload. */
  onRecovery: (outcome: RecoveryOutcome) => void;
}

/** Live publications held while history loads; past this the load is redone from scratch. */
const MAX_PENDING = 5000;
const TICK_HISTORY_LIMIT = 1000;

/**
 * Feeds one symbol's candles: history first (see history.ts), then live `bars:` publications, or
 * `ticks:` trades folded client-side while no bar exists. Both channels are recoverable, so after
 * a reconnect the SDK replays what was missed and the series has no gap; when the window was
 * lost the history is loaded again.
 */
export class ChartFeed {
  readonly store: CandleStore;
  private readonly bars: Subscription;
  private readonly ticks: Subscription;
  private pending: { kind: 'bar' | 'tick'; ctx: PublicationContext }[] | undefined = [];
  private overflowed = false;
  /** Bumped by every load and by dispose(), so a superseded load stops at its next await. */
  private generation = 0;

  constructor(private readonly o: ChartFeedOptions) {
    const intervalMs = INTERVAL_MS[o.interval];
    if (intervalMs === undefined) throw new RangeError(`unknown interval ${o.interval}`);
    this.store = new CandleStore(intervalMs);
    this.bars = this.subscription(`bars:${o.interval}:${o.symbol}`, 'bar');
    this.ticks = this.subscription(`ticks:${o.symbol}`, 'tick');
    this.ticks.on('subscribed', (ctx) => this.onTicksSubscribed(ctx));
    this.bars.subscribe();
    this.ticks.subscribe();
  }

  get symbol(): string {
    return this.o.symbol;
  }

  get interval(): string {
    return this.o.interval;
  }

  dispose(): void {
    this.generation++;
    for (const sub of [this.bars, this.ticks]) {
      sub.removeAllListeners();
      sub.unsubscribe();
      this.o.client.removeSubscription(sub);
    }
  }

  private subscription(channel: string, kind: 'bar' | 'tick'): Subscription {
    const sub = this.o.client.getSubscription(channel) ?? this.o.client.newSubscription(channel);
    sub.on('publication', (ctx) => {
      if (this.pending) {
        if (this.pending.length < MAX_PENDING) this.pending.push({ kind, ctx });
        else this.overflowed = true;
        return;
      }
      this.apply(kind, ctx.data as unknown, ctx.offset);
      this.o.onChange();
    });
    return sub;
  }

  private onTicksSubscribed(ctx: SubscribedContext): void {
    if (!ctx.wasRecovering) {
      void this.load();
      return;
    }
    if (ctx.recovered) {
      this.o.onRecovery('recovered');
      return;
    }
    // The history window was lost while we were away: start over from the sources.
    this.o.onRecovery('resynced');
    void this.load();
  }

  private async load(): Promise<void> {
    const generation = ++this.generation;
    this.pending ??= [];
    this.overflowed = false;
    this.store.clear();
    const rest = await restBars(this.o.symbol, this.o.interval);
    if (generation !== this.generation) return;
    for (const bar of rest ?? []) this.store.applyBar(bar);
    if (this.store.source !== 'bars') {
      const bars = await channelHistory(this.bars, REST_BARS_LIMIT);
      if (generation !== this.generation) return;
      for (const p of bars) this.store.applyBar(p.data as BarLike);
    }
    if (this.store.source !== 'bars') {
      const ticks = await channelHistory(this.ticks, TICK_HISTORY_LIMIT);
      if (generation !== this.generation) return;
      for (const p of ticks) this.store.applyTrade(p.data as TradeLike, p.offset);
    }
    if (this.overflowed) {
      this.pending = [];
      void this.load();
      return;
    }
    const held = this.pending ?? [];
    this.pending = undefined;
    for (const { kind, ctx } of held) this.apply(kind, ctx.data as unknown, ctx.offset);
    this.o.onChange();
  }

  private apply(kind: 'bar' | 'tick', data: unknown, offset: number | undefined): void {
    if (typeof data !== 'object' || data === null) return;
    if (kind === 'bar') this.store.applyBar(data as BarLike);
    else this.store.applyTrade(data as TradeLike, offset);
  }
}
