import type { Token } from './tokenizer.js';

/**
 * Features of the baseline: each token (prefixed "~" inside a negation's scope) and each pair of
 * adjacent tokens. The same tokens the neural model sees, so the comparison is of models only.
 */
export function ngramFeatures(tokens: readonly Token[]): string[] {
  const words = tokens.map((t) => (t.negated ? `~${t.text}` : t.text));
  const out = [...words];
  for (let i = 1; i < words.length; i++) out.push(`${words[i - 1]} ${words[i]}`);
  return out;
}

/**
 * Multinomial Naive Bayes with additive (Lidstone) smoothing: the baseline the model has to beat.
 * Features never seen in training are ignored at prediction, as they carry no evidence.
 */
export class NaiveBayes {
  private readonly logPrior: number[];
  private readonly logLikelihood = new Map<string, number[]>();

  constructor(docs: readonly (readonly string[])[], labels: readonly number[], readonly classes: number, readonly alpha = 1) {
    const classDocs = new Array<number>(classes).fill(0);
    const classTotals = new Array<number>(classes).fill(0);
    const counts = new Map<string, number[]>();
    docs.forEach((features, d) => {
      const c = labels[d] as number;
      classDocs[c] = (classDocs[c] as number) + 1;
      for (const f of features) {
        let row = counts.get(f);
        if (!row) counts.set(f, (row = new Array<number>(classes).fill(0)));
        row[c] = (row[c] as number) + 1;
        classTotals[c] = (classTotals[c] as number) + 1;
      }
    });
    const featureCount = counts.size;
    this.logPrior = classDocs.map((n) => Math.log((n + 1) / (docs.length + classes)));
    const denominators = classTotals.map((t) => Math.log(t + alpha * featureCount));
    for (const [f, row] of counts) {
      this.logLikelihood.set(f, row.map((n, c) => Math.log(n + alpha) - (denominators[c] as number)));
    }
  }

  /** Class probabilities of one document. */
  probabilities(features: readonly string[]): number[] {
    const score = [...this.logPrior];
    for (const f of features) {
      const row = this.logLikelihood.get(f);
      if (row) for (let c = 0; c < this.classes; c++) score[c] = (score[c] as number) + (row[c] as number);
    }
    const max = Math.max(...score);
    const exp = score.map((s) => Math.exp(s - max));
    const sum = exp.reduce((a, b) => a + b, 0);
    return exp.map((e) => e / sum);
  }

  predict(features: readonly string[]): number {
    const p = this.probabilities(features);
    return p.indexOf(Math.max(...p));
  }
}
