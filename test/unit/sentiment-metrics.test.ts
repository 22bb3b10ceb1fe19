import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedData } from '../support/shared-data.js';
import { loadBackend } from '../../src/ml/backend.js';
import { readLabelledCsv } from '../../src/ml/dataset.js';
import { evaluate, majorityClass, type Evaluation } from '../../src/ml/evaluation.js';
import { SENTIMENT_LABELS } from '../../src/ml/labels.js';
import { NaiveBayes, ngramFeatures } from '../../src/ml/naive-bayes.js';
import { METRICS_FILE, SentimentModel } from '../../src/ml/sentiment-model.js';
import { stratifiedSplit } from '../../src/ml/split.js';
import { tokenize } from '../../src/ml/tokenizer.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MODEL_DIR = join(ROOT, 'models/sentiment');
const train = sharedData('sentiment/twitter-financial-news/train.csv');
const valid = sharedData('sentiment/twitter-financial-news/valid.csv');

interface Metrics {
  version: string;
  seed: number;
  data: { holdFraction: number; train: number; earlyStopping: number; valid: number };
  architecture: { sequenceLength: number };
  valid: Evaluation;
  baselines: { naiveBayes: { alpha: number; valid: Evaluation }; majority: { label: string; valid: Evaluation } };
}
const metrics = JSON.parse(readFileSync(join(MODEL_DIR, METRICS_FILE), 'utf8')) as Metrics;
const classes = SENTIMENT_LABELS.length;

// Scores of the committed model recomputed on valid.csv: a retrained model committed without its
// metrics.json (or a README table copied from an older run) fails here.
describe.runIf(train.available && valid.available)('models/sentiment/metrics.json', () => {
  let model: SentimentModel;
  beforeAll(async () => {
    await loadBackend('auto');
    model = await SentimentModel.load(MODEL_DIR);
  });
  afterAll(() => model?.dispose());

  it('is what the committed model scores on valid.csv', () => {
    const data = readLabelledCsv(valid.file);
    const predicted = model.score(data.texts).map((r) => SENTIMENT_LABELS.indexOf(r.label));
    const got = evaluate(data.labels, predicted, classes);
    expect(got.count).toBe(metrics.data.valid);
    // Another backend may round a near tie the other way: a few texts at most.
    expect(Math.abs(got.accuracy - metrics.valid.accuracy)).toBeLessThanOrEqual(3 / got.count);
    expect(Math.abs(got.macroF1 - metrics.valid.macroF1)).toBeLessThan(0.003);
    got.confusion.forEach((row, a) => row.forEach((n, p) => expect(Math.abs(n - (metrics.valid.confusion[a]?.[p] ?? -99))).toBeLessThanOrEqual(3)));
  });

  it('has the baselines of the same split: Naive Bayes and the majority class, exactly', () => {
    const all = readLabelledCsv(train.file);
    const split = stratifiedSplit(all.labels, metrics.data.holdFraction, metrics.seed);
    expect([split.train.length, split.hold.length]).toEqual([metrics.data.train, metrics.data.earlyStopping]);
    const features = (t: string) => ngramFeatures(tokenize(t).slice(0, metrics.architecture.sequenceLength));
    const labels = split.train.map((i) => all.labels[i] as number);
    const nb = new NaiveBayes(split.train.map((i) => features(all.texts[i] as string)), labels, classes, metrics.baselines.naiveBayes.alpha);
    const data = readLabelledCsv(valid.file);
    const nbValid = evaluate(data.labels, data.texts.map((t) => nb.predict(features(t))), classes);
    expect(nbValid.confusion).toEqual(metrics.baselines.naiveBayes.valid.confusion);
    expect(nbValid.macroF1).toBeCloseTo(metrics.baselines.naiveBayes.valid.macroF1, 10);
    const majority = majorityClass(labels, classes);
    expect(SENTIMENT_LABELS[majority]).toBe(metrics.baselines.majority.label);
    expect(evaluate(data.labels, data.labels.map(() => majority), classes).accuracy).toBeCloseTo(metrics.baselines.majority.valid.accuracy, 10);
  });
});

describe('README', () => {
  it('shows the figures of metrics.json in its sentiment table', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const row = (name: string, e: Evaluation) => expect(readme).toContain(`| ${name} | ${e.accuracy.toFixed(3)} | ${e.macroF1.toFixed(3)} |`);
    row('this model', metrics.valid);
    row('Naive Bayes, uni+bigrams', metrics.baselines.naiveBayes.valid);
    row('majority class', metrics.baselines.majority.valid);
  });
});
