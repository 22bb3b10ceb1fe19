import { describe, expect, it } from 'vitest';
import { evaluate, majorityClass } from './evaluation.js';
import { stratifiedSplit } from './split.js';
import { PAD_ID, UNK_ID, Vocabulary } from './vocabulary.js';

describe('Vocabulary', () => {
  it('orders by count then code point, keeps minCount and maxSize, adds extras after, round-trips JSON', () => {
    const v = Vocabulary.build(new Map([['b', 3], ['a', 3], ['c', 5], ['rare', 1]]), 2, 6, ['z', 'a', 'y']);
    expect(v.tokens).toEqual(['<pad>', '<unk>', 'c', 'a', 'b', 'z']);
    expect(v.id('c')).toBe(2);
    expect(v.id('rare')).toBe(UNK_ID);
    expect(v.id('<pad>')).toBe(PAD_ID);
    const back = Vocabulary.fromJSON(JSON.parse(JSON.stringify(v)));
    expect(back.tokens).toEqual(v.tokens);
  });

  it('refuses JSON that is not a vocabulary', () => {
    for (const bad of [null, {}, { tokens: 'x' }, { tokens: ['<unk>', '<pad>'] }, { tokens: ['<pad>', '<unk>', 1] }, { tokens: ['<pad>', '<unk>', 'a', 'a'] }]) {
      expect(() => Vocabulary.fromJSON(bad)).toThrow(expect.objectContaining({ code: 'MODEL_FILES_INVALID' }));
    }
  });
});

describe('evaluate', () => {
  it('computes accuracy, per-class precision/recall/F1, macro-F1 and the confusion matrix', () => {
    const e = evaluate([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0], 3);
    expect(e.confusion).toEqual([[1, 1, 0], [0, 2, 0], [1, 0, 1]]);
    expect(e.accuracy).toBeCloseTo(4 / 6, 12);
    expect(e.perClass[1]).toEqual({ precision: 2 / 3, recall: 1, f1: 0.8, support: 2 });
    expect(e.macroF1).toBeCloseTo((0.5 + 0.8 + 2 / 3) / 3, 12);
    expect(evaluate([0, 1], [0, 0], 3).perClass[1]?.f1).toBe(0);
    expect(majorityClass([2, 1, 2, 0], 3)).toBe(2);
  });
});

describe('stratifiedSplit', () => {
  it('keeps each class share, covers every index once, and depends on the seed only', () => {
    const labels = Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? 0 : i % 3 === 0 ? 1 : 2));
    const a = stratifiedSplit(labels, 0.2, 9);
    expect([...a.train, ...a.hold].sort((x, y) => x - y)).toEqual(labels.map((_, i) => i));
    const share = (rows: number[], c: number) => rows.filter((r) => labels[r] === c).length / rows.length;
    for (const c of [0, 1, 2]) expect(share(a.hold, c)).toBeCloseTo(share(labels.map((_, i) => i), c), 2);
    expect(stratifiedSplit(labels, 0.2, 9)).toEqual(a);
    expect(stratifiedSplit(labels, 0.2, 10).hold).not.toEqual(a.hold);
  });
});
