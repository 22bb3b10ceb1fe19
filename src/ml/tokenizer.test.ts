import { describe, expect, it } from 'vitest';
import { cashtagSymbols, DEFAULT_TOKENIZER_OPTIONS, tokenize } from './tokenizer.js';

const words = (text: string) => tokenize(text).map((t) => (t.negated ? `~${t.text}` : t.text));

describe('tokenize', () => {
  it('turns cashtags, URLs and mentions into placeholders, lower-cases and drops punctuation', () => {
    expect(words('$BYND - JPMorgan reels in expectations on Beyond Meat https://t.co/bd0xbFGjkT')).toEqual(
      ['<cashtag>', 'jpmorgan', 'reels', 'in', 'expectations', 'on', 'beyond', 'meat', '<url>']);
    expect(words('$ESS.B: @jim_cramer see www.example.com/x, #Bitcoin')).toEqual(['<cashtag>', '<user>', 'see', '<url>', 'bitcoin']);
  });

  it('buckets percentages by sign, money and numbers', () => {
    expect(words('Pareteum +8% after CEO termination')).toEqual(['pareteum', '<pct_up>', 'after', 'ceo', 'termination']);
    expect(words('shares -3.5% or −2 percent, gold 6.6% to $1,671.20')).toEqual(['shares', '<pct_down>', 'or', '<pct_down>', 'gold', '<pct>', 'to', '<money>']);
    expect(words('a $5 billion deal, 1,200 jobs, Dow -200 +15')).toEqual(['a', '<money>', 'deal', '<num>', 'jobs', 'dow', '<num_down>', '<num_up>']);
    // A hyphen inside a date or a ticker suffix is no sign.
    expect(words('19-Nov-19 7:00am')).toEqual(['<num>', 'nov', '<num>', '<num>', 'am']);
  });

  it('marks the words after a negator up to a clause break, and splits contractions', () => {
    expect(words("Stocks don't rally, can't hold gains. Not good! won't cut")).toEqual(
      ['stocks', 'do', 'not', '~rally', 'can', 'not', '~hold', '~gains', 'not', '~good', '!', 'will', 'not', '~cut']);
    expect(words('no growth seen in the next year at all')).toEqual(['no', '~growth', '~seen', '~in', 'the', 'next', 'year', 'at', 'all']);
    expect(words('Investors Can’t Ignore it')).toEqual(['investors', 'can', 'not', '~ignore', '~it']);
    expect(words("Moody's cuts")).toEqual(['moody', 'cuts']);
  });

  it('keeps emoji and ! ? as tokens, and removes control and format characters', () => {
    expect(words('Moon 🚀📈 now?')).toEqual(['moon', '🚀', '📈', 'now', '?']);
    expect(words('ctrl\u0000char\u200bzero\u202eRLO\u0007bell')).toEqual(['ctrl', 'char', 'zero', 'rlo', 'bell']);
    expect(words('ＦＵＬＬ ｗｉｄｔｈ')).toEqual(['full', 'width']);
  });

  it('is deterministic and bounded on hostile input', () => {
    expect(tokenize('')).toEqual([]);
    expect(tokenize(' \n\t ')).toEqual([]);
    expect(tokenize('!!!,,,...;;;')).toEqual(Array.from({ length: 3 }, () => ({ text: '!', negated: false })));
    const huge = 'stocks crash '.repeat(200_000) + ' $AAPL';
    const t0 = performance.now();
    const tokens = tokenize(huge);
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(tokens.length).toBe(DEFAULT_TOKENIZER_OPTIONS.maxTokens);
    expect(tokens).toEqual(tokenize(huge));
    // A lone surrogate (a cut emoji), only digits, one long word: no throw, no empty token.
    for (const s of ['\ud83d', '\udc00x', '1'.repeat(100_000), 'a'.repeat(100_000), '$'.repeat(5000), 'http://'.repeat(3000)]) {
      const out = tokenize(s);
      expect(out.every((t) => t.text.length > 0)).toBe(true);
    }
    expect(tokenize(undefined as unknown as string)).toEqual([]);
  });

  it('follows its options', () => {
    expect(tokenize('a b c d', { ...DEFAULT_TOKENIZER_OPTIONS, maxTokens: 2 }).map((t) => t.text)).toEqual(['a', 'b']);
    expect(tokenize('abc def', { ...DEFAULT_TOKENIZER_OPTIONS, maxChars: 5 }).map((t) => t.text)).toEqual(['abc', 'd']);
    expect(tokenize('not a b c', { ...DEFAULT_TOKENIZER_OPTIONS, negationScope: 1 }).map((t) => t.negated)).toEqual([false, true, false, false]);
  });
});

describe('cashtagSymbols', () => {
  it('lists the symbols of the cashtags once each, in order, and no money', () => {
    expect(cashtagSymbols('$CCL $RCL - Nomura on $ccl, $5 and $BRK.B')).toEqual(['CCL', 'RCL', 'BRK.B']);
    expect(cashtagSymbols('')).toEqual([]);
  });
});
