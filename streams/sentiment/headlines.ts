import { hashString, mulberry32 } from '../feeds/prng.js';
import type { SentimentClass } from './types.js';

/**
 * Headline templates of each class, written for this project. `{co}` is the company, `{sym}` its
 * symbol, `{pct}` a percentage, `{q}` a quarter, `{bn}` an amount in billions.
 */
const TEMPLATES: Record<SentimentClass, readonly string[]> = {
  bullish: [
    '{co} beats quarterly earnings estimates, shares jump {pct}%',
    '{co} raises full-year revenue guidance after strong {q} demand',
    'Analysts upgrade {co} to buy, citing margin expansion',
    '{co} announces ${bn} billion share buyback',
    '{sym} climbs {pct}% as {co} wins major cloud contract',
    '{co} reports record {q} sales, stock hits all-time high',
    '{co} dividend raised by {pct}% on robust cash flow',
    'Strong orders lift {co}; shares rally {pct}% in early trading',
  ],
  bearish: [
    '{co} misses {q} estimates, shares slide {pct}%',
    '{co} cuts outlook as demand weakens',
    'Regulators open probe into {co} accounting practices',
    '{co} recalls products over safety concerns, stock falls',
    '{sym} drops {pct}% after {co} warns on profit',
    'Analysts downgrade {co} to sell on slowing growth',
    '{co} to lay off thousands as sales decline',
    '{co} shares tumble {pct}% after CEO resigns abruptly',
  ],
  neutral: [
    '{co} to report {q} results next week',
    '{co} schedules annual shareholder meeting',
    '{co} names new chief financial officer',
    '{co} to present at industry conference on Tuesday',
    '{sym}: what to watch ahead of the {q} earnings call',
    '{co} files quarterly report with the SEC',
    '{co} completes previously announced reorganisation',
    '{co} opens new office in Austin',
  ],
};

const COMPANIES: Readonly<Record<string, string>> = {
  AAPL: 'Apple', MSFT: 'Microsoft', NVDA: 'Nvidia', TSLA: 'Tesla', AMZN: 'Amazon', GOOGL: 'Alphabet', META: 'Meta', SPY: 'The S&P 500 ETF',
};

const CLASSES: readonly SentimentClass[] = ['bullish', 'bearish', 'neutral'];

export interface GeneratedHeadline {
  symbol: string;
  /** The class its template was written for (the model decides the score). */
  intended: SentimentClass;
  headline: string;
}

/**
 * Deterministic headlines for a symbol list: the same seed gives the same sequence, on every
 * machine (mulberry32, like the simulated ticks).
 */
export class HeadlineGenerator {
  private readonly random: () => number;

  constructor(private readonly symbols: readonly string[], seed: number) {
    this.random = mulberry32(seed ^ hashString('news'));
  }

  next(): GeneratedHeadline {
    const symbol = this.symbols[Math.floor(this.random() * this.symbols.length)] as string;
    const intended = CLASSES[Math.floor(this.random() * CLASSES.length)] as SentimentClass;
    const templates = TEMPLATES[intended];
    const template = templates[Math.floor(this.random() * templates.length)] as string;
    const headline = template
      .replaceAll('{co}', COMPANIES[symbol] ?? symbol)
      .replaceAll('{sym}', symbol)
      .replaceAll('{pct}', (1 + this.random() * 14).toFixed(1))
      .replaceAll('{q}', `Q${1 + Math.floor(this.random() * 4)}`)
      .replaceAll('{bn}', String(1 + Math.floor(this.random() * 50)));
    return { symbol, intended, headline };
  }
}
