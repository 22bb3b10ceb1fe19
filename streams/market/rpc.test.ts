import { describe, it, expect } from 'vitest';
import { MarketState } from './market-state.js';
import { MARKET_SNAPSHOT_METHOD, marketRpcMethods, marketSnapshot } from './rpc.js';
import { InvalidParamsError, UnknownSymbolError } from '../errors.js';

function stateWith(...symbols: string[]): MarketState {
  const state = new MarketState();
  for (const symbol of symbols) {
    state.apply({ symbol, price: 100, size: 10, ts: 1_000 });
    state.apply({ symbol, price: 101.25, size: 5, ts: 2_000 });
  }
  return state;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('market.snapshot RPC', () => {
  it('returns the quote fields for a known symbol', () => {
    expect(marketSnapshot(stateWith('AAPL'), { symbol: 'AAPL' })).toEqual({
      symbol: 'AAPL',
      last: 101.25,
      change: 1.25,
      volume: 15,
      ts: 2_000,
    });
  });

  it('is registered under market.snapshot', () => {
    const methods = marketRpcMethods(stateWith('AAPL'));
    expect(Object.keys(methods)).toEqual([MARKET_SNAPSHOT_METHOD]);
    expect(MARKET_SNAPSHOT_METHOD).toBe('market.snapshot');
    expect(methods['market.snapshot']?.({ symbol: 'AAPL' })).toMatchObject({ symbol: 'AAPL', last: 101.25 });
  });

  it('throws UnknownSymbolError naming the symbol and the valid ones', () => {
    const err = thrown(() => marketSnapshot(stateWith('MSFT', 'AAPL'), { symbol: 'XYZ' }));
    expect(err).toBeInstanceOf(UnknownSymbolError);
    const typed = err as UnknownSymbolError;
    expect(typed.code).toBe('UNKNOWN_SYMBOL');
    expect(typed.name).toBe('UnknownSymbolError');
    expect(typed.symbol).toBe('XYZ');
    expect(typed.known).toEqual(['AAPL', 'MSFT']);
    expect(typed.message).toBe('unknown symbol "XYZ"; valid symbols: AAPL, MSFT');
  });

  it('says so when no symbol is known yet, and cuts long lists', () => {
    expect(() => marketSnapshot(new MarketState(), { symbol: 'A' })).toThrow(/no symbols are known yet/);
    const many = Array.from({ length: 25 }, (_, i) => `S${String(i).padStart(2, '0')}`);
    expect(() => marketSnapshot(stateWith(...many), { symbol: 'A' })).toThrow(/S19 and 5 more$/);
  });

  it.each([
    ['undefined params', undefined],
    ['null params', null],
    ['a bare string', 'AAPL'],
    ['an array', ['AAPL']],
    ['a missing symbol', {}],
    ['a numeric symbol', { symbol: 42 }],
    ['an empty symbol', { symbol: '  ' }],
  ])('throws InvalidParamsError for %s', (_label, params) => {
    const err = thrown(() => marketSnapshot(stateWith('AAPL'), params));
    expect(err).toBeInstanceOf(InvalidParamsError);
    expect((err as InvalidParamsError).code).toBe('INVALID_PARAMS');
    expect((err as InvalidParamsError).message).toMatch(/symbol/);
  });
});
