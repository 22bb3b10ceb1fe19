import type { Bar, ChannelFollower, MarketSnapshot, StreamLogger } from '../ports.js';
import { MarketMirrorError } from '../errors.js';
import { MarketState } from './market-state.js';
import { BarStore } from './bar-store.js';
import { barChannel, marketChannel } from './channels.js';

export interface MarketMirrorOptions {
  channels: ChannelFollower;
  symbols: readonly string[];
  /** Interval names, as in `bars:INTERVAL:SYM`. */
  intervals: readonly string[];
  /** Closed bars kept per symbol and interval, as the pipeline keeps them. */
  historySize: number;
  logger?: StreamLogger;
}

/** What a followed channel carries into the mirror. */
type Route = { kind: 'bars'; symbol: string; interval: string } | { kind: 'market'; symbol: string };

const silentLogger: StreamLogger = { warn: () => {}, error: () => {} };

const BAR_NUMBERS = ['start', 'end', 'open', 'high', 'low', 'close', 'volume', 'vwap', 'trades'] as const;
const SNAPSHOT_NUMBERS = ['last', 'change', 'changePct', 'open', 'high', 'low', 'volume', 'vwap', 'trades', 'ts'] as const;

/**
 * The market state and closed bars of a node that runs no market pipeline, following the shared
 * `market:SYM` and `bars:INTERVAL:SYM` channels of the node that does, so its bars API,
 * snapshots and `market.*` RPC answer what that node's would.
 *
 * At start each channel is subscribed first and its history read after, so nothing published in
 * between is missed; what arrives during the read is held and applied after it. Bars that the
 * read and the live channel both deliver are kept once: the store takes only a final bar newer
 * than its newest.
 */
export class MarketMirror {
  readonly state = new MarketState();
  readonly bars: BarStore;
  private readonly channels: ChannelFollower;
  private readonly logger: StreamLogger;
  private readonly routes = new Map<string, Route>();
  /** Publications received while their channel's history is being read, in arrival order. */
  private readonly held = new Map<string, unknown[]>();
  /** Channels subscribed (each once), for stop(). */
  private readonly following = new Set<string>();
  /** Channels that carried something that is not a bar or snapshot of theirs (logged once each). */
  private readonly complained = new Set<string>();
  private ignoredCount = 0;

  constructor(options: MarketMirrorOptions) {
    this.channels = options.channels;
    this.logger = options.logger ?? silentLogger;
    this.bars = new BarStore(options.intervals, options.historySize);
    for (const symbol of options.symbols) {
      this.routes.set(marketChannel(symbol), { kind: 'market', symbol });
      for (const interval of options.intervals) this.routes.set(barChannel(interval, symbol), { kind: 'bars', symbol, interval });
    }
  }

  /** Publications of followed channels that were neither a bar nor a snapshot of their channel. */
  get ignored(): number {
    return this.ignoredCount;
  }

  /** Follows every channel, with its history applied; rejects (MarketMirrorError) when one cannot be read. */
  async start(): Promise<void> {
    const results = await Promise.allSettled([...this.routes.keys()].map((channel) => this.follow(channel)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (!failed) return;
    await this.stop();
    throw failed.reason;
  }

  async stop(): Promise<void> {
    const channels = [...this.following];
    this.following.clear();
    this.held.clear();
    await Promise.all(channels.map((channel) => this.channels.unsubscribe(channel)));
  }

  /**
   * A publication this node received (the broker's delivery tap hands it every one). Costs a
   * map lookup for channels the mirror does not follow.
   */
  receive(channel: string, data: unknown): void {
    const route = this.routes.get(channel);
    if (!route || !this.following.has(channel)) return;
    const held = this.held.get(channel);
    if (held) held.push(data);
    else this.apply(channel, route, data);
  }

  /**
   * Reads a followed channel's history again: the broker lost publications of it that the
   * channel's stream no longer holds (insufficient state), so the live order broke.
   */
  resync(channel: string): void {
    if (!this.following.has(channel) || this.held.has(channel)) return;
    this.catchUp(channel).catch((err: unknown) => this.logger.error({ err: new MarketMirrorError(channel, err) }, 'market mirror could not catch up'));
  }

  private async follow(channel: string): Promise<void> {
    // Held from the first moment: what the subscription delivers before the history read waits for it.
    this.following.add(channel);
    this.held.set(channel, []);
    try {
      await this.channels.subscribe(channel);
    } catch (err) {
      this.following.delete(channel);
      this.held.delete(channel);
      throw new MarketMirrorError(channel, err);
    }
    await this.catchUp(channel).catch((err: unknown) => {
      throw new MarketMirrorError(channel, err);
    });
  }

  /** Applies the channel's history, then what was held meanwhile; called with the channel held. */
  private async catchUp(channel: string): Promise<void> {
    const route = this.routes.get(channel) as Route;
    if (!this.held.has(channel)) this.held.set(channel, []);
    try {
      // A snapshot is the whole session so far: only the latest counts.
      const query = route.kind === 'market' ? { limit: 1, reverse: true } : { limit: -1 };
      const { publications } = await this.channels.history(channel, query);
      if (!this.following.has(channel)) return;
      for (const pub of publications) this.apply(channel, route, pub.data);
    } finally {
      const held = this.held.get(channel) ?? [];
      this.held.delete(channel);
      if (this.following.has(channel)) for (const data of held) this.apply(channel, route, data);
    }
  }

  private apply(channel: string, route: Route, data: unknown): void {
    if (route.kind === 'bars') {
      if (!isBarOf(data, route.symbol, route.interval)) return this.ignore(channel);
      // Partial updates are the live chart's; the store keeps closed bars.
      if (data.final) this.bars.add(data);
    } else {
      if (!isSnapshotOf(data, route.symbol)) return this.ignore(channel);
      this.state.setSnapshot(data);
    }
  }

  private ignore(channel: string): void {
    this.ignoredCount++;
    if (this.complained.has(channel)) return;
    this.complained.add(channel);
    this.logger.warn({ channel }, 'market mirror ignored a publication that is not a bar or snapshot of its channel (logged once per channel)');
  }
}

function isBarOf(data: unknown, symbol: string, interval: string): data is Bar {
  const bar = data as Partial<Record<keyof Bar, unknown>> | null;
  return typeof bar === 'object' && bar !== null && bar.symbol === symbol && bar.interval === interval
    && typeof bar.final === 'boolean' && BAR_NUMBERS.every((k) => Number.isFinite(bar[k]));
}

function isSnapshotOf(data: unknown, symbol: string): data is MarketSnapshot {
  const s = data as Partial<Record<keyof MarketSnapshot, unknown>> | null;
  return typeof s === 'object' && s !== null && s.symbol === symbol && SNAPSHOT_NUMBERS.every((k) => Number.isFinite(s[k]));
}
