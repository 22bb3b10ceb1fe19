import { Prng } from './prng.js';

/**
 * Indexes of a data set split in two by seed, stratified (each class keeps its share in both
 * parts), so early stopping sees the class balance training sees. Each part is in index order.
 */
export function stratifiedSplit(labels: readonly number[], holdFraction: number, seed: number): { train: number[]; hold: number[] } {
  const rng = new Prng(seed);
  const byClass = new Map<number, number[]>();
  labels.forEach((l, i) => {
    let list = byClass.get(l);
    if (!list) byClass.set(l, (list = []));
    list.push(i);
  });
  const train: number[] = [];
  const hold: number[] = [];
  for (const cls of [...byClass.keys()].sort((a, b) => a - b)) {
    const idx = rng.shuffle([...(byClass.get(cls) as number[])]);
    const n = Math.round(idx.length * holdFraction);
    hold.push(...idx.slice(0, n));
    train.push(...idx.slice(n));
  }
  return { train: train.sort((a, b) => a - b), hold: hold.sort((a, b) => a - b) };
}
