import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildClassifier } from './architecture.js';
import { loadBackend } from './backend.js';
import { installTrainingKernels } from './cpu-kernels.js';
import { NgramConv, registerCustomLayers } from './ngram-layer.js';
import { stratifiedSplit } from './split.js';
import { TextEncoder } from './text-encoder.js';
import { DEFAULT_TOKENIZER_OPTIONS, tokenize } from './tokenizer.js';
import { trainClassifier } from './train.js';
import { Vocabulary } from './vocabulary.js';

beforeAll(async () => {
  const b = await loadBackend('wasm');
  installTrainingKernels(b.tfName);
  registerCustomLayers();
});

describe('training kernels and layers', () => {
  it('the linear UnsortedSegmentSum adds rows by segment as tfjs defines it (out-of-range ids dropped), on wasm and cpu', async () => {
    for (const backend of ['wasm', 'cpu'] as const) {
      installTrainingKernels((await loadBackend(backend)).tfName);
      const x = tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]);
      const ids = tf.tensor1d([2, 0, 2, 9], 'int32');
      expect(tf.unsortedSegmentSum(x, ids, 3).arraySync()).toEqual([[3, 4], [0, 0], [6, 8]]);
      // And as the gradient of an embedding lookup (GatherV2's), with a batch of sequences.
      const table = tf.variable(tf.ones([5, 2]));
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.gather(t, tf.tensor2d([[1, 1], [4, 0]], [2, 2], 'int32'))))(table);
      expect(g.arraySync()).toEqual([[1, 1], [2, 2], [0, 0], [0, 0], [1, 1]]);
      tf.dispose([x, ids, table, g]);
    }
    await loadBackend('wasm');
  });

  it('NgramConv computes a convolution over the tokens, zero at padding', () => {
    const layer = new NgramConv({ filters: 4, width: 3, kernelSeed: 7 });
    const x = tf.randomNormal([2, 5, 3], 0, 1, 'float32', 1);
    const mask = tf.tensor2d([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]);
    const got = layer.apply([x, mask]) as tf.Tensor3D;
    // The same kernel as a conv1d: [width * channels, filters] -> [width, channels, filters].
    const [kernel, bias] = layer.getWeights() as [tf.Tensor2D, tf.Tensor1D];
    const masked = tf.mul(x, tf.expandDims(mask, 2)) as tf.Tensor3D;
    const padded = tf.pad(masked, [[0, 0], [0, 2], [0, 0]]);
    const want = tf.mul(tf.relu(tf.add(tf.conv1d(padded, tf.reshape(kernel, [3, 3, 4]) as tf.Tensor3D, 1, 'valid'), bias)), tf.expandDims(mask, 2));
    const g = got.arraySync();
    const w = want.arraySync() as number[][][];
    g.forEach((row, b) => row.forEach((v, t) => v.forEach((n, f) => expect(n).toBeCloseTo(w[b]?.[t]?.[f] as number, 4))));
    expect(g[1]?.[3]).toEqual([0, 0, 0, 0]);
    tf.dispose([x, mask, got, want, masked, padded]);
  });
});

describe('trainClassifier', () => {
  const texts = Array.from({ length: 240 }, (_, i) => [`shares fall on weak outlook ${i}`, `stock jumps after strong results ${i}`, `company to present at conference ${i}`][i % 3] as string);
  const labels = texts.map((_, i) => i % 3);

  const run = () => {
    const split = stratifiedSplit(labels, 0.25, 5);
    const counts = new Map<string, number>();
    for (const i of split.train) for (const t of tokenize(texts[i] as string)) counts.set(t.text, (counts.get(t.text) ?? 0) + 1);
    const vocab = Vocabulary.build(counts, 1, 1000);
    const encoder = new TextEncoder(vocab, DEFAULT_TOKENIZER_OPTIONS, 12);
    const built = buildClassifier({ vocabularySize: vocab.size, sequenceLength: 12, pretrainedDim: 0, trainedDim: 8, kernelSizes: [1, 2], filters: 4, hidden: 0, towers: 2, ngramVocabularySize: 0, ngramDim: 0, embeddingDropout: 0.1, dropout: 0.2, classes: 3, seed: 11 });
    const before = tf.memory().numTensors;
    const result = trainClassifier(built,
      { data: encoder.encode(split.train.map((i) => texts[i] as string)), labels: split.train.map((i) => labels[i] as number) },
      { data: encoder.encode(split.hold.map((i) => texts[i] as string)), labels: split.hold.map((i) => labels[i] as number) },
      { maxEpochs: 4, patience: 4, batchSize: 16, learningRate: 0.02, l2: 1e-4, classWeights: [1, 1, 1], seed: 3 });
    const weights = built.model.getWeights().map((w) => Array.from(w.dataSync()));
    const leaked = tf.memory().numTensors - before;
    built.training.dispose();
    return { result, weights, leaked };
  };

  it('learns a separable toy set, and one seed gives the same weights twice, leaking no tensor', () => {
    const a = run();
    const b = run();
    expect(a.result.best.accuracy).toBe(1);
    expect(a.weights).toEqual(b.weights);
    expect(a.result.epochs.map((e) => e.loss)).toEqual(b.result.epochs.map((e) => e.loss));
    expect(a.leaked).toBe(0);
  });
});
