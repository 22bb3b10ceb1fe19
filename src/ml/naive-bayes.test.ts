import { describe, expect, it } from 'vitest';
import { NaiveBayes, ngramFeatures } from './naive-bayes.js';
import { tokenize } from './tokenizer.js';

describe('NaiveBayes', () => {
  const docs = ['shares fall on weak outlook', 'stock falls after downgrade', 'shares rise on strong outlook', 'stock jumps after upgrade', 'company to present at conference', 'company reports results']
    .map((t) => ngramFeatures(tokenize(t)));
  const labels = [0, 0, 1, 1, 2, 2];

  it('uses unigrams and bigrams, with negated tokens apart', () => {
    expect(ngramFeatures(tokenize('not good news'))).toEqual(['not', '~good', '~news', 'not ~good', '~good ~news']);
  });

  it('classifies a toy set by its words, and computes the textbook probabilities', () => {
    const nb = new NaiveBayes(docs, labels, 3, 1);
    expect(nb.predict(ngramFeatures(tokenize('weak shares fall')))).toBe(0);
    expect(nb.predict(ngramFeatures(tokenize('strong upgrade')))).toBe(1);
    expect(nb.predict(ngramFeatures(tokenize('conference results')))).toBe(2);
    // Unknown features carry no evidence: the (equal) priors decide.
    const p = nb.probabilities(['zzz']);
    expect(p[0]).toBeCloseTo(1 / 3, 10);
    // One feature "weak", seen once in class 0 only. Vocabulary V, class totals T_c:
    // P(c|weak) is proportional to (n+1)/(T_c+V).
    const all = new Set(docs.flat());
    const totals = [0, 1, 2].map((c) => docs.filter((_, i) => labels[i] === c).flat().length);
    const like = totals.map((t, c) => ((c === 0 ? 1 : 0) + 1) / (t + all.size));
    const z = like.reduce((a, b) => a + b, 0);
    const got = nb.probabilities(['weak']);
    like.forEach((l, c) => expect(got[c]).toBeCloseTo(l / z, 10));
  });

  it('smooths by alpha', () => {
    const sharp = new NaiveBayes(docs, labels, 3, 0.01).probabilities(['weak']);
    const flat = new NaiveBayes(docs, labels, 3, 10).probabilities(['weak']);
    expect(sharp[0]).toBeGreaterThan(flat[0] as number);
  });
});
