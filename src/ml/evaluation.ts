/** Precision, recall and F1 of one class. */
export interface ClassFigures {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface Evaluation {
  accuracy: number;
  macroF1: number;
  perClass: ClassFigures[];
  /** confusion[actual][predicted] */
  confusion: number[][];
  count: number;
}

/** Figures of predictions against the truth; a class never predicted has precision 0 (sklearn's convention). */
export function evaluate(actual: readonly number[], predicted: readonly number[], classes: number): Evaluation {
  if (actual.length !== predicted.length) throw new Error(`evaluate: ${actual.length} labels but ${predicted.length} predictions`);
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let correct = 0;
  actual.forEach((a, i) => {
    const p = predicted[i] as number;
    (confusion[a] as number[])[p] = ((confusion[a] as number[])[p] as number) + 1;
    if (a === p) correct++;
  });
  const perClass: ClassFigures[] = [];
  for (let c = 0; c < classes; c++) {
    const tp = (confusion[c] as number[])[c] as number;
    const support = (confusion[c] as number[]).reduce((s, n) => s + n, 0);
    const predictedAs = confusion.reduce((s, row) => s + (row[c] as number), 0);
    const precision = predictedAs === 0 ? 0 : tp / predictedAs;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    perClass.push({ precision, recall, f1, support });
  }
  return {
    accuracy: actual.length === 0 ? 0 : correct / actual.length,
    macroF1: perClass.reduce((s, c) => s + c.f1, 0) / classes,
    perClass,
    confusion,
    count: actual.length,
  };
}

/** The class given most often in training, predicted for everything. */
export function majorityClass(labels: readonly number[], classes: number): number {
  const counts = new Array<number>(classes).fill(0);
  for (const l of labels) counts[l] = (counts[l] as number) + 1;
  return counts.indexOf(Math.max(...counts));
}
