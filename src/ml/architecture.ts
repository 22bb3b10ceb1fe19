import * as tf from '@tensorflow/tfjs';
import { MaskedMean, NgramConv, PadMask, registerCustomLayers } from './ngram-layer.js';
import { Prng } from './prng.js';

/** Shape of the classifier; saved in metrics.json with the model it made. */
export interface ArchitectureOptions {
  vocabularySize: number;
  sequenceLength: number;
  /** Width of the frozen pretrained embedding (0: none). */
  pretrainedDim: number;
  /** Width of the embedding learnt from the training data (0: none). */
  trainedDim: number;
  /** Convolution widths in tokens, each with `filters` filters, max-pooled over the text. */
  kernelSizes: number[];
  /** Size of the uni+bigram vocabulary of the bag-of-n-grams branch (0: no such branch). */
  ngramVocabularySize: number;
  /** Width of its n-gram embeddings, averaged over the text. */
  ngramDim: number;
  filters: number;
  hidden: number;
  /**
   * Independently initialised copies of everything after the embeddings, trained side by side
   * (each on its own loss) and averaged: an ensemble in one model.
   */
  towers: number;
  embeddingDropout: number;
  dropout: number;
  classes: number;
  seed: number;
}

/**
 * Embeddings (a frozen pretrained one and/or one learnt here) with the negation flag as one more
 * channel, convolutions of a few widths max-pooled over the text (an n-gram detector each,
 * wherever the n-gram stands), a hidden layer, softmax. Small enough to train in minutes on a CPU
 * backend and to score a batch in milliseconds.
 *
 * `pretrained` is [vocabularySize * pretrainedDim] (row per id), frozen: words seen only in news
 * elsewhere keep their place among the words training saw, which is how the model reaches beyond
 * the tweets. Every initializer and dropout takes its seed from `seed`.
 */
export function buildClassifier(o: ArchitectureOptions, pretrained?: Float32Array): { model: tf.LayersModel; training: tf.LayersModel } {
  registerCustomLayers();
  const rng = new Prng(o.seed);
  const init = () => tf.initializers.glorotUniform({ seed: rng.nextSeed() });
  // Any length: a batch is cut to its longest text (see NgramConv), up to sequenceLength.
  const ids = tf.input({ shape: [null], dtype: 'int32', name: 'ids' });
  const negated = tf.input({ shape: [null], dtype: 'float32', name: 'negated' });
  const mask = new PadMask({ name: 'pad_mask' }).apply(ids) as tf.SymbolicTensor;
  const channels: tf.SymbolicTensor[] = [];
  if (o.pretrainedDim > 0) {
    if (!pretrained || pretrained.length !== o.vocabularySize * o.pretrainedDim) {
      throw new Error(`buildClassifier: pretrained embedding must be ${o.vocabularySize} x ${o.pretrainedDim}`);
    }
    const layer = tf.layers.embedding({
      inputDim: o.vocabularySize, outputDim: o.pretrainedDim, trainable: false, name: 'pretrained_embedding',
      weights: [tf.tensor2d(pretrained, [o.vocabularySize, o.pretrainedDim])],
    });
    channels.push(layer.apply(ids) as tf.SymbolicTensor);
  }
  if (o.trainedDim > 0) {
    const layer = tf.layers.embedding({
      inputDim: o.vocabularySize, outputDim: o.trainedDim, name: 'trained_embedding',
      embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: rng.nextSeed() }),
    });
    channels.push(layer.apply(ids) as tf.SymbolicTensor);
  }
  if (channels.length === 0) throw new Error('buildClassifier: needs an embedding');
  channels.push(tf.layers.reshape({ targetShape: [-1, 1], name: 'negation_channel' }).apply(negated) as tf.SymbolicTensor);
  const features = tf.layers.concatenate({ axis: -1, name: 'token_features' }).apply(channels) as tf.SymbolicTensor;
  const inputs = [ids, negated];
  let ngrams: tf.SymbolicTensor | undefined;
  let bagMask: tf.SymbolicTensor | undefined;
  if (o.ngramVocabularySize > 0) {
    ngrams = tf.input({ shape: [null], dtype: 'int32', name: 'ngrams' });
    inputs.push(ngrams);
    bagMask = new PadMask({ name: 'bag_mask' }).apply(ngrams) as tf.SymbolicTensor;
  }
  const towers: tf.SymbolicTensor[] = [];
  for (let t = 0; t < o.towers; t++) {
    const n = (name: string) => `t${t}_${name}`;
    let x = features;
    if (o.embeddingDropout > 0) {
      x = tf.layers.spatialDropout1d({ rate: o.embeddingDropout, seed: rng.nextSeed(), name: n('embedding_dropout') }).apply(x) as tf.SymbolicTensor;
    }
    const pooled = o.kernelSizes.map((k) => {
      const conv = new NgramConv({ filters: o.filters, width: k, kernelSeed: rng.nextSeed(), name: n(`ngram_${k}`) }).apply([x, mask]) as tf.SymbolicTensor;
      return tf.layers.globalMaxPooling1d({ name: n(`max_${k}`) }).apply(conv) as tf.SymbolicTensor;
    });
    if (ngrams && bagMask) {
      const vectors = tf.layers.embedding({
        inputDim: o.ngramVocabularySize, outputDim: o.ngramDim, name: n('ngram_embedding'),
        embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: rng.nextSeed() }),
      }).apply(ngrams) as tf.SymbolicTensor;
      pooled.push(new MaskedMean({ name: n('ngram_bag') }).apply([vectors, bagMask]) as tf.SymbolicTensor);
    }
    let h = pooled.length === 1 ? pooled[0] as tf.SymbolicTensor : tf.layers.concatenate({ name: n('features') }).apply(pooled) as tf.SymbolicTensor;
    if (o.dropout > 0) h = tf.layers.dropout({ rate: o.dropout, seed: rng.nextSeed(), name: n('dropout_pooled') }).apply(h) as tf.SymbolicTensor;
    if (o.hidden > 0) {
      h = tf.layers.dense({ units: o.hidden, activation: 'relu', kernelInitializer: init(), name: n('hidden') }).apply(h) as tf.SymbolicTensor;
      if (o.dropout > 0) h = tf.layers.dropout({ rate: o.dropout, seed: rng.nextSeed(), name: n('dropout_hidden') }).apply(h) as tf.SymbolicTensor;
    }
    towers.push(tf.layers.dense({ units: o.classes, activation: 'softmax', kernelInitializer: init(), name: n('probabilities') }).apply(h) as tf.SymbolicTensor);
  }
  const averaged = towers.length === 1 ? towers[0] as tf.SymbolicTensor : tf.layers.average({ name: 'probabilities' }).apply(towers) as tf.SymbolicTensor;
  // Both models share every layer: training scores each tower alone, serving averages them.
  return {
    model: tf.model({ inputs, outputs: averaged, name: 'sentiment' }),
    training: tf.model({ inputs, outputs: towers, name: 'sentiment_towers' }),
  };
}
