/**
 * Price arithmetic shared by the market state and the bars operator. Prices travel as USD
 * numbers, but sums of price x size are kept in integer decicents (1/10,000 USD) so that a
 * session's notional adds up exactly instead of drifting with binary fractions; doubles hold
 * integers exactly up to 2^53, i.e. about $900 billion of notional per symbol and session.
 */
const DECICENTS_PER_USD = 10_000;

/** The notional of one print in decicents x shares (an integer). */
export function notionalOf(price: number, size: number): number {
  return Math.round(price * DECICENTS_PER_USD) * size;
}

/** Volume-weighted average price in USD, rounded to a decicent; 0 when nothing traded. */
export function vwapOf(notional: number, volume: number): number {
  return volume > 0 ? Math.round(notional / volume) / DECICENTS_PER_USD : 0;
}

/**
 * The notional that gives `vwap` over `volume` back exactly (vwapOf of it is `vwap`): what a
 * session rebuilt from a snapshot holds. vwap is a whole number of decicents, so this is too.
 */
export function notionalAtVwap(vwap: number, volume: number): number {
  return Math.round(vwap * DECICENTS_PER_USD) * volume;
}
