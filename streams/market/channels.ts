/** Channel names the market pipeline publishes to; one place so clients and tests agree. */
export const tickChannel = (symbol: string): string => `ticks:${symbol}`;
export const marketChannel = (symbol: string): string => `market:${symbol}`;
