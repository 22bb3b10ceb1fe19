/** Channel names the market pipeline publishes to; one place so clients and tests agree. */
export const tickChannel = (symbol: string): string => `ticks:${symbol}`;
export const marketChannel = (symbol: string): string => `market:${symbol}`;
/** `bars:1m:SPY`: the interval first, so one namespace holds every interval. */
export const barChannel = (interval: string, symbol: string): string => `bars:${interval}:${symbol}`;
