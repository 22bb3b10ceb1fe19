import { InvalidParamsError, UnknownSymbolError } from '../errors.js';
import type { MarketStateView } from './market-state.js';
import type { BarStoreView } from './bar-store.js';
import { queryBars } from './bars-query.js';
import type { BarsPage } from './bars-query.js';
import { queryArchivedBars } from './archived-bars-query.js';
import type { BarArchive } from './bar-archive.js';

export const MARKET_SNAPSHOT_METHOD = 'market.snapshot';
export const MARKET_BARS_METHOD = 'market.bars';

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

/**
 * `market.bars {symbol, interval?, limit?, page?, cursor?, fields?}`: the same query and answer
 * as `GET /api/v1/market/:symbol/bars`. It reads the pipeline's bar store directly: the store
 * is plain in-process memory touched only on this thread, so no actor or timeout is in between.
 */
export function marketBars(state: MarketStateView, bars: BarStoreView, params: unknown): BarsPage {
  return queryBars({ store: bars, hasSymbol: (s) => state.has(s), symbols: () => state.symbols() }, params, MARKET_BARS_METHOD);
}

/** `market.bars` over the ring and, past it, the archive. */
export function marketArchivedBars(state: MarketStateView, bars: BarStoreView, archive: BarArchive, params: unknown): Promise<BarsPage> {
  return queryArchivedBars({ store: bars, hasSymbol: (s) => state.has(s), symbols: () => state.symbols() }, archive, params, MARKET_BARS_METHOD);
}

/** The market RPC methods by name, for the engine to register; `market.bars` when bars are kept, reading the archive past memory when given one. */
export function marketRpcMethods(state: MarketStateView, bars?: BarStoreView, archive?: BarArchive): Record<string, RpcMethod> {
  const methods: Record<string, RpcMethod> = {
    [MARKET_SNAPSHOT_METHOD]: (params) => marketSnapshot(state, params),
  };
  if (bars) methods[MARKET_BARS_METHOD] = archive ? (params) => marketArchivedBars(state, bars, archive, params) : (params) => marketBars(state, bars, params);
  return methods;
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
