import * as tf from '@tensorflow/tfjs';
import { evaluate, type Evaluation } from './evaluation.js';
import { Prng } from './prng.js';
import { batchTensors } from './model-inputs.js';
import type { EncodedBatch } from './text-encoder.js';

export interface TrainOptions {
  maxEpochs: number;
  /** Epochs without a better early-stopping macro-F1 before training stops. */
  patience: number;
  batchSize: number;
  learningRate: number;
  /** L2 penalty on the convolution and dense kernels (not the embeddings). */
  l2: number;
  /** Loss weight of each class: the rarer ones count more, for macro-F1. */
  classWeights: number[];
  seed: number;
}

export interface EpochReport {
  epoch: number;
  loss: number;
  hold: Evaluation;
  ms: number;
}

export interface TrainResult {
  bestEpoch: number;
  best: Evaluation;
  epochs: EpochReport[];
}

/** Class probabilities of every row of `data`, row-major, scored in chunks. */
export function predictProbabilities(model: tf.LayersModel, data: EncodedBatch, chunk = 256): Float32Array {
  const classes = (model.outputs[0]?.shape[1] ?? 0) as number;
  const out = new Float32Array(data.count * classes);
  for (let start = 0; start < data.count; start += chunk) {
    const rows = Array.from({ length: Math.min(chunk, data.count - start) }, (_, i) => start + i);
    const probs = tf.tidy(() => model.predict(batchTensors(data, rows)) as tf.Tensor);
    out.set(probs.dataSync() as Float32Array, start * classes);
    probs.dispose();
  }
  return out;
}

export function argmaxRows(probs: Float32Array, classes: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < probs.length / classes; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if ((probs[r * classes + c] as number) > (probs[r * classes + best] as number)) best = c;
    out.push(best);
  }
  return out;
}

/**
 * A tfjs Dropout layer draws its mask from its `seed`, the same mask at every step when the seed
 * is fixed. A fresh seed per step from the run's generator keeps the masks varied and the run
 * reproducible (Math.random is never consulted).
 */
function reseedDropout(model: tf.LayersModel, rng: Prng): void {
  for (const layer of model.layers) {
    if (layer.getClassName() === 'Dropout' || layer.getClassName() === 'SpatialDropout1D') {
      (layer as unknown as { seed?: number }).seed = rng.nextSeed();
    }
  }
}

/**
 * Mini-batch Adam on class-weighted cross-entropy, batches in an order drawn from the seed; after
 * each epoch the early-stopping part is scored, and the weights of the epoch with the best
 * macro-F1 there are the ones kept.
 */
export function trainClassifier(
  { model, training }: { model: tf.LayersModel; training: tf.LayersModel },
  train: { data: EncodedBatch; labels: readonly number[] },
  hold: { data: EncodedBatch; labels: readonly number[] },
  o: TrainOptions,
  onEpoch: (report: EpochReport) => void = () => {},
): TrainResult {
  const rng = new Prng(o.seed);
  const optimizer = tf.train.adam(o.learningRate);
  const classes = o.classWeights.length;
  const weights = tf.tensor1d(o.classWeights);
  // originalName: `name` gets a suffix when another model in the process has used the same one.
  const kernels = training.trainableWeights.filter((w) => w.originalName.endsWith('/kernel')).map((w) => w.read());
  let best: { epoch: number; evaluation: Evaluation; weights: tf.Tensor[] } | undefined;
  const epochs: EpochReport[] = [];
  const order = Array.from({ length: train.data.count }, (_, i) => i);
  for (let epoch = 1; epoch <= o.maxEpochs; epoch++) {
    const t0 = performance.now();
    rng.shuffle(order);
    let lossSum = 0;
    let batches = 0;
    for (let start = 0; start < order.length; start += o.batchSize) {
      const rows = order.slice(start, start + o.batchSize);
      reseedDropout(training, rng);
      const inputs = batchTensors(train.data, rows);
      const labels = tf.tensor1d(rows.map((r) => train.labels[r] as number), 'int32');
      const loss = optimizer.minimize(() => tf.tidy(() => {
        const out = training.apply(inputs, { training: true }) as tf.Tensor2D | tf.Tensor2D[];
        const towers = Array.isArray(out) ? out : [out];
        const oneHot = tf.oneHot(labels, classes);
        const w = tf.gather(weights, labels);
        // Each tower on its own loss: they learn side by side, not as one wider network.
        let l = tf.scalar(0);
        for (const probs of towers) {
          const picked = tf.sum(tf.mul(tf.log(tf.clipByValue(probs, 1e-7, 1)), oneHot), -1);
          l = tf.add(l, tf.div(tf.neg(tf.sum(tf.mul(picked, w))), tf.mul(tf.sum(w), towers.length)));
        }
        if (o.l2 > 0) for (const k of kernels) l = tf.add(l, tf.mul(o.l2, tf.sum(tf.square(k)))) as tf.Scalar;
        return l;
      }), true);
      lossSum += (loss as tf.Scalar).dataSync()[0] as number;
      batches++;
      loss?.dispose();
      labels.dispose();
      for (const t of inputs) t.dispose();
    }
    const evaluation = evaluate(hold.labels, argmaxRows(predictProbabilities(model, hold.data), classes), classes);
    const report = { epoch, loss: lossSum / batches, hold: evaluation, ms: performance.now() - t0 };
    epochs.push(report);
    onEpoch(report);
    if (!best || evaluation.macroF1 > best.evaluation.macroF1) {
      for (const w of best?.weights ?? []) w.dispose();
      best = { epoch, evaluation, weights: model.getWeights().map((w) => w.clone()) };
    } else if (epoch - best.epoch >= o.patience) break;
  }
  weights.dispose();
  optimizer.dispose();
  if (!best) throw new Error('trainClassifier: maxEpochs must be at least 1');
  model.setWeights(best.weights);
  for (const w of best.weights) w.dispose();
  for (const layer of training.layers) if ('seed' in layer) (layer as unknown as { seed?: number }).seed = undefined;
  return { bestEpoch: best.epoch, best: best.evaluation, epochs };
}
