import { hashString } from './prng.js';

/** Where a simulated symbol starts and how much it moves (annualised volatility, 0.3 = 30%). */
export interface SymbolProfile {
  price: number;
  volatility: number;
}

// Rough, recent-ish levels so a demo dashboard looks plausible for familiar tickers.
const KNOWN: Readonly<Record<string, SymbolProfile>> = {
  AAPL: { price: 190, volatility: 0.25 },
  MSFT: { price: 420, volatility: 0.25 },
  GOOGL: { price: 170, volatility: 0.3 },
  AMZN: { price: 180, volatility: 0.32 },
  META: { price: 500, volatility: 0.38 },
  NVDA: { price: 120, volatility: 0.55 },
  TSLA: { price: 250, volatility: 0.6 },
  AMD: { price: 160, volatility: 0.5 },
  NFLX: { price: 650, volatility: 0.35 },
  JPM: { price: 200, volatility: 0.22 },
  V: { price: 275, volatility: 0.2 },
  SPY: { price: 520, volatility: 0.15 },
  QQQ: { price: 450, volatility: 0.2 },
};

const DEFAULT_VOLATILITY = 0.35;

/**
 * Profile for any symbol: the table above, or a price derived from the symbol's hash,
 * log-uniform in [10, 1000) so unknown tickers still get stable, varied, realistic levels.
 */
export function symbolProfile(symbol: string): SymbolProfile {
  const known = KNOWN[symbol];
  if (known) return known;
  const unit = hashString(symbol) / 4294967296;
  return { price: Math.round(10 * 100 ** unit * 100) / 100, volatility: DEFAULT_VOLATILITY };
}
