import { SYMBOL_PATTERN, UnknownSymbolError, type MarketStateView } from '../../streams/index.js';
import { HttpError, type Router } from '../http/index.js';

/**
 * `GET /api/v1/market`: every symbol with a snapshot, and those snapshots.
 * `GET /api/v1/market/:symbol`: the snapshot `market:SYM` carries (case-insensitive symbol).
 */
export function registerMarketSnapshotApi(router: Router, market: MarketStateView): void {
  // The encoded snapshot of each symbol, reused until its next trade: a dashboard polling this
  // route costs a lookup, not an object and a JSON.stringify per request. One entry per symbol
  // of the market state, which is itself bounded (SUPERNOVA_MAX_SYMBOLS).
  const encoded = new Map<string, { trades: number; ts: number; json: string }>();
  router.get('/api/v1/market', () => {
    const symbols = market.symbols();
    return { body: { symbols, snapshots: symbols.map((s) => market.snapshot(s)) } };
  });
  router.get('/api/v1/market/:symbol', (ctx) => {
    const symbol = (ctx.params.symbol ?? '').toUpperCase();
    if (!SYMBOL_PATTERN.test(symbol)) {
      throw new HttpError(400, 'BAD_SYMBOL', `symbol ${JSON.stringify(ctx.params.symbol)} is not 1-12 of A-Z 0-9 .`);
    }
    const version = market.version(symbol);
    if (!version) {
      const err = new UnknownSymbolError(symbol, market.symbols());
      throw new HttpError(404, err.code, err.message, { cause: err });
    }
    let hit = encoded.get(symbol);
    if (!hit || hit.trades !== version.trades || hit.ts !== version.ts) {
      hit = { ...version, json: JSON.stringify(market.snapshot(symbol)) };
      encoded.set(symbol, hit);
    }
    return { body: hit.json, headers: { 'content-type': 'application/json' } };
  });
}
