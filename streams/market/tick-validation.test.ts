import { describe, expect, it } from 'vitest';
import { DEFAULT_TICK_LIMITS, TickValidator, tickLimits, tickRefusal } from './tick-validation.js';
import { InvalidOptionError } from '../errors.js';

const now = Date.UTC(2026, 0, 2);
const good = { symbol: 'BRK.B', price: 412.5, size: 10, ts: now - 1000 };
const check = (input: unknown) => tickRefusal(input, DEFAULT_TICK_LIMITS, now);
const reasonOf = (input: unknown) => check(input)?.reason ?? 'OK';

describe('tickRefusal', () => {
  it('accepts a well-formed tick, whatever else it carries', () => {
    expect(check(good)).toBeUndefined();
    expect(check({ ...good, condition: '4', exchange: 'P', extra: { nested: true } })).toBeUndefined();
  });

  it('refuses non-objects with BAD_SHAPE', () => {
    for (const input of [null, undefined, 3, 'AAPL', [good]]) expect(reasonOf(input)).toBe('BAD_SHAPE');
  });

  it('refuses symbols outside 1-12 of A-Z 0-9 . with BAD_SYMBOL', () => {
    for (const symbol of ['', 'aapl', 'TOO.LONG.SYMBOL', 'A B', 'ÄPL', 42, undefined]) {
      expect(reasonOf({ ...good, symbol })).toBe('BAD_SYMBOL');
    }
    expect(reasonOf({ ...good, symbol: 'ABCDEFGHIJKL' })).toBe('OK');
  });

  it('refuses a price that is not a finite number > 0 with BAD_PRICE', () => {
    for (const price of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '10', null]) expect(reasonOf({ ...good, price })).toBe('BAD_PRICE');
  });

  it('refuses a size that is not a finite number > 0 with BAD_SIZE', () => {
    for (const size of [0, -5, Number.NaN, Number.NEGATIVE_INFINITY, '1']) expect(reasonOf({ ...good, size })).toBe('BAD_SIZE');
  });

  it('refuses timestamps that are not finite, before 2000, or over a day ahead with BAD_TS', () => {
    for (const ts of [Number.NaN, Number.POSITIVE_INFINITY, '2026-01-01', Date.UTC(1999, 11, 31, 23, 59), now + 86_400_001]) {
      expect(reasonOf({ ...good, ts })).toBe('BAD_TS');
    }
    expect(reasonOf({ ...good, ts: Date.UTC(2000, 0, 1) })).toBe('OK');
    expect(reasonOf({ ...good, ts: now + 86_400_000 })).toBe('OK');
  });

  it('reports the first failing field with a message naming the value', () => {
    const r = check({ symbol: 'AAPL', price: -3, size: 0, ts: 0 });
    expect(r).toEqual({ reason: 'BAD_PRICE', message: 'price must be a finite number > 0, got -3' });
  });

  it('takes its limits as options and refuses nonsense ones', () => {
    const strict = tickLimits({ maxFutureMs: 0 });
    expect(tickRefusal({ ...good, ts: now + 1 }, strict, now)).toMatchObject({ reason: 'BAD_TS' });
    expect(tickRefusal({ ...good, ts: 5 }, tickLimits({ minTs: 0 }), now)).toBeUndefined();
    expect(() => tickLimits({ maxFutureMs: -1 })).toThrow(InvalidOptionError);
    expect(() => tickLimits({ minTs: Number.NaN })).toThrow(InvalidOptionError);
  });
});

describe('TickValidator', () => {
  it('applies tickRefusal\'s rules with its own limits, a run of one symbol or not', () => {
    const validator = new TickValidator({ maxFutureMs: 0 });
    const inputs: unknown[] = [good, good, { ...good, symbol: 'brk.b' }, good, { ...good, ts: now + 1 }, { ...good, symbol: 'X', price: 0 }, 'AAPL', { ...good, symbol: 7 }];
    const strict = tickLimits({ maxFutureMs: 0 });
    for (const input of inputs) expect(validator.refusal(input, now)).toEqual(tickRefusal(input, strict, now));
    expect(validator.problem('BRK.B', 1, 1, now, now)).toBeUndefined();
    expect(validator.problem('BRK B', 1, 1, now, now)).toBe('BAD_SYMBOL');
  });
});
