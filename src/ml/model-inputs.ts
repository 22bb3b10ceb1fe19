import * as tf from '@tensorflow/tfjs';
import type { EncodedBatch } from './text-encoder.js';
import { PAD_ID } from './vocabulary.js';

/** Longest row of `rows` in a [count, width] array, by its last non-pad entry (at least 1). */
function usedWidth(values: Int32Array, width: number, rows: readonly number[]): number {
  let used = 1;
  for (const r of rows) {
    let n = width;
    while (n > used && values[r * width + n - 1] === PAD_ID) n--;
    used = Math.max(used, n);
  }
  return used;
}

function pick<T extends Int32Array | Float32Array>(values: T, width: number, used: number, rows: readonly number[], make: (n: number) => T): T {
  const out = make(rows.length * used);
  rows.forEach((r, i) => out.set(values.subarray(r * width, r * width + used), i * used));
  return out;
}

/**
 * Rows of an encoded batch, in the order of `rows`, as the model's inputs ([ids, negated] and
 * ngrams when it has that branch), each cut to the longest text among them: padding costs
 * compute and, by the model's masking, changes no result.
 */
export function batchTensors(data: EncodedBatch, rows: readonly number[]): tf.Tensor2D[] {
  const L = data.sequenceLength;
  const used = usedWidth(data.ids, L, rows);
  const out = [
    tf.tensor2d(pick(data.ids, L, used, rows, (n) => new Int32Array(n)), [rows.length, used], 'int32'),
    tf.tensor2d(pick(data.negated, L, used, rows, (n) => new Float32Array(n)), [rows.length, used], 'float32'),
  ];
  if (data.ngramLength > 0) {
    const n = usedWidth(data.ngrams, data.ngramLength, rows);
    out.push(tf.tensor2d(pick(data.ngrams, data.ngramLength, n, rows, (k) => new Int32Array(k)), [rows.length, n], 'int32'));
  }
  return out;
}
