import * as tf from '@tensorflow/tfjs';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBackend } from './backend.js';
import { MlError } from './errors.js';
import { SENTIMENT_LABELS } from './labels.js';
import { MODEL_FILE, WEIGHTS_FILE } from './model-files.js';
import { LABELS_FILE, METRICS_FILE, SentimentModel, TOKENIZER_FILE } from './sentiment-model.js';

const MODEL_DIR = fileURLToPath(new URL('../../models/sentiment', import.meta.url));

describe('SentimentModel (the committed models/sentiment)', () => {
  let model: SentimentModel;
  beforeAll(async () => {
    await loadBackend('auto');
    model = await SentimentModel.load(MODEL_DIR);
  });
  afterAll(() => model?.dispose());

  it('labels plain bearish, bullish and neutral headlines as such', () => {
    const [bear, bull, neutral] = model.score([
      'Stock plunges after company cuts guidance and misses earnings estimates',
      'Shares soar after record quarterly revenue beats estimates',
      'Company to present at the annual healthcare conference',
    ]);
    expect(bear?.label).toBe('bearish');
    expect(bull?.label).toBe('bullish');
    expect(neutral?.label).toBe('neutral');
    expect(bear?.scores.bearish).toBeGreaterThan(0.5);
    expect(bull?.scores.bullish).toBeGreaterThan(0.5);
  });

  it('answers in the order given, each text as if alone (padding and batch mates change nothing)', () => {
    const texts = ['$AAPL downgraded to sell at Goldman', 'Gold jumps 3% as the dollar slides', 'Edited transcript of earnings call', '', 'x'.repeat(50_000)];
    const together = model.score(texts);
    expect(together).toHaveLength(texts.length);
    texts.forEach((t, i) => {
      const [alone] = model.score([t]);
      for (const label of SENTIMENT_LABELS) expect(together[i]?.scores[label]).toBeCloseTo(alone?.scores[label] as number, 5);
      expect(together[i]?.label).toBe(alone?.label);
    });
    for (const r of together) {
      const sum = SENTIMENT_LABELS.reduce((s, l) => s + r.scores[l], 0);
      expect(sum).toBeCloseTo(1, 5);
      expect(r.scores[r.label]).toBe(Math.max(...SENTIMENT_LABELS.map((l) => r.scores[l])));
    }
  });

  it('scores a batch larger than one chunk, in order', () => {
    const texts = Array.from({ length: 600 }, (_, i) => (i % 2 === 0 ? 'Shares tumble on weak outlook' : `Company ${i} reports results`));
    const out = model.score(texts);
    expect(out).toHaveLength(600);
    expect(out[598]).toEqual(out[0]);
    expect(out[599]?.scores).not.toEqual(out[0]?.scores);
  });

  it('leaves no tensor behind after many batches', () => {
    model.score(['warm up']);
    const baseline = tf.memory().numTensors;
    for (let i = 0; i < 300; i++) model.score([`batch ${i} stocks rally`, 'shares fall', 'neutral news item', `#${i}`]);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('refuses what is not an array of strings', () => {
    expect(() => model.score('text' as unknown as string[])).toThrow(MlError);
    expect(() => model.score([1 as unknown as string])).toThrow(expect.objectContaining({ code: 'INPUT_INVALID' }));
    expect(model.score([])).toEqual([]);
  });

  it('is named by its content, as metrics.json says', () => {
    expect(model.version).toMatch(/^sentiment-[0-9a-f]{12}$/);
    expect(JSON.parse(readFileSync(join(MODEL_DIR, METRICS_FILE), 'utf8')).version).toBe(model.version);
  });
});

describe('SentimentModel.load on broken files', () => {
  const dirs: string[] = [];
  const copy = () => {
    const dir = mkdtempSync(join(tmpdir(), 'supernova-model-'));
    dirs.push(dir);
    for (const f of [MODEL_FILE, WEIGHTS_FILE, TOKENIZER_FILE, LABELS_FILE]) copyFileSync(join(MODEL_DIR, f), join(dir, f));
    return dir;
  };
  beforeAll(async () => {
    await loadBackend('auto');
  });
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const refused = async (dir: string, message: RegExp) => {
    const err = await SentimentModel.load(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlError);
    expect(err).toMatchObject({ code: 'MODEL_FILES_INVALID' });
    expect((err as Error).message).toMatch(message);
  };

  it('loads a faithful copy, and frees its weights on dispose', async () => {
    const before = tf.memory().numTensors;
    const m = await SentimentModel.load(copy());
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => m.score(['x'])).toThrow(expect.objectContaining({ code: 'MODEL_NOT_LOADED' }));
  });

  it('refuses a missing directory, truncated weights, a manifest pointing outside, bad JSON, wrong labels', async () => {
    await refused(join(tmpdir(), 'no-such-model-dir'), /cannot read/);
    let dir = copy();
    writeFileSync(join(dir, WEIGHTS_FILE), readFileSync(join(dir, WEIGHTS_FILE)).subarray(0, 100));
    await refused(dir, /weights are 100 bytes/);
    dir = copy();
    const json = JSON.parse(readFileSync(join(dir, MODEL_FILE), 'utf8'));
    json.weightsManifest[0].paths = ['../../etc/passwd'];
    writeFileSync(join(dir, MODEL_FILE), JSON.stringify(json));
    await refused(dir, /not a file beside model.json/);
    dir = copy();
    writeFileSync(join(dir, MODEL_FILE), '{"modelTopology": ');
    await refused(dir, /cannot read/);
    dir = copy();
    writeFileSync(join(dir, LABELS_FILE), JSON.stringify({ labels: ['bullish', 'bearish', 'neutral'] }));
    await refused(dir, /labels/);
    dir = copy();
    writeFileSync(join(dir, TOKENIZER_FILE), JSON.stringify({ options: { maxChars: -1 }, vocabulary: [] }));
    await refused(dir, /tokenizer.json/);
    dir = copy();
    const tokenizer = JSON.parse(readFileSync(join(dir, TOKENIZER_FILE), 'utf8'));
    tokenizer.vocabulary = tokenizer.vocabulary.slice(0, 100);
    writeFileSync(join(dir, TOKENIZER_FILE), JSON.stringify(tokenizer));
    await refused(dir, /tokenizer.json has 100 entries for pretrained_embedding/);
  });
});
