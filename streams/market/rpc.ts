import { InvalidParamsError, UnknownSymbolError } from '../errors.js';
import type { MarketStateView } from './market-state.js';

export const MARKET_SNAPSHOT_METHOD = 'market.snapshot';

/** The RPC answer: the few fields a client needs to render a quote, not the whole snapshot. */
export interface MarketSnapshotResult {
  symbol: string;
  last: number;
  change: number;
  volume: number;
  ts: number;
}

export type RpcMethod = (params: unknown) => unknown;

/**
 * `market.snapshot {symbol}`. Params arrive straight off the wire, so they are validated here;
 * failures are typed errors with stable codes the engine maps to an RPC error reply.
 */
export function marketSnapshot(state: MarketStateView, params: unknown): MarketSnapshotResult {
  const symbol = readSymbol(params);
  const snapshot = state.snapshot(symbol);
  if (!snapshot) throw new UnknownSymbolError(symbol, state.symbols());
  return { symbol: snapshot.symbol, last: snapshot.last, change: snapshot.change, volume: snapshot.volume, ts: snapshot.ts };
}

/** The market RPC methods by name, for the engine to register. */
export function marketRpcMethods(state: MarketStateView): Record<string, RpcMethod> {
  return {
    [MARKET_SNAPSHOT_METHOD]: (params) => marketSnapshot(state, params),
  };
}

function readSymbol(params: unknown): string {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new InvalidParamsError(`${MARKET_SNAPSHOT_METHOD} expects params {"symbol": string}`);
  }
  const symbol: unknown = (params as Record<string, unknown>)['symbol'];
  if (symbol === undefined) throw new InvalidParamsError(`${MARKET_SNAPSHOT_METHOD}: "symbol" is required`);
  if (typeof symbol !== 'string') {
    throw new InvalidParamsError(`${MARKET_SNAPSHOT_METHOD}: "symbol" must be a string, got ${typeof symbol}`);
  }
  if (symbol.trim() === '') throw new InvalidParamsError(`${MARKET_SNAPSHOT_METHOD}: "symbol" must not be empty`);
  return symbol;
}
