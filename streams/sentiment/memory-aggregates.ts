import { RollingSentiment, type RollingSentimentOptions } from './rolling-sentiment.js';
import type { AggregateInput, SentimentAggregates, SentimentAggregateStats, SentimentSummary } from './ports.js';
import type { SentimentAggregateMessage, SentimentHourBucket } from './types.js';

/** The rolling sentiment in this process: what one engine alone, or one whose channels are its own, needs. */
export class MemorySentimentAggregates implements SentimentAggregates {
  private readonly rolling: RollingSentiment;

  constructor(o: RollingSentimentOptions) {
    this.rolling = new RollingSentiment(o);
  }

  async add(items: readonly AggregateInput[]): Promise<SentimentAggregateMessage[]> {
    const touched = new Set<string>();
    for (const { symbol, ts, label, scores } of items) {
      this.rolling.add(symbol, ts, label, scores);
      touched.add(symbol);
    }
    const out: SentimentAggregateMessage[] = [];
    for (const symbol of touched) {
      const a = this.rolling.aggregate(symbol);
      if (a) out.push(a);
    }
    return out;
  }

  async hours(symbol: string, from: number, to: number): Promise<SentimentHourBucket[]> {
    return this.rolling.hours(symbol, from, to);
  }

  async summary(symbol: string): Promise<SentimentSummary | undefined> {
    return this.rolling.summary(symbol);
  }

  stats(): SentimentAggregateStats {
    return { where: 'memory', symbols: this.rolling.size, evicted: this.rolling.evicted, unbucketed: this.rolling.unbucketed, pending: 0, dropped: 0, errors: 0 };
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}
