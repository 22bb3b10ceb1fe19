import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MlError } from './errors.js';
import { resultFromProbabilities, SENTIMENT_LABELS, type SentimentResult } from './labels.js';
import { MODEL_FILE, readModelArtifacts, WEIGHTS_FILE } from './model-files.js';
import { registerCustomLayers } from './ngram-layer.js';
import { TextEncoder } from './text-encoder.js';
import { batchTensors } from './model-inputs.js';
import { DEFAULT_TOKENIZER_OPTIONS, type TokenizerOptions } from './tokenizer.js';
import { Vocabulary } from './vocabulary.js';

export const TOKENIZER_FILE = 'tokenizer.json';
export const LABELS_FILE = 'labels.json';
export const METRICS_FILE = 'metrics.json';

/** tokenizer.json: how texts become the model's inputs. */
export interface TokenizerFile {
  options: TokenizerOptions;
  sequenceLength: number;
  vocabulary: string[];
  /** Uni- and bigrams of the n-gram branch, when the model has one. */
  ngrams?: string[];
}

/** labels.json: the output classes, in the order of the model's probabilities. */
export interface LabelsFile {
  labels: string[];
}

/** Texts scored in one tfjs call at most; a longer batch is scored in chunks of it. */
const CHUNK = 256;

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new MlError('MODEL_FILES_INVALID', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}

function tokenizerFrom(json: unknown, file: string): { encoder: TextEncoder } {
  const t = json as Partial<TokenizerFile> | null;
  const o = t?.options as Partial<TokenizerOptions> | undefined;
  const positive = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 1_000_000;
  if (!t || !o || !positive(o.maxChars) || !positive(o.maxTokens) || !(o.negationScope === 0 || positive(o.negationScope)) || !positive(t.sequenceLength)) {
    throw new MlError('MODEL_FILES_INVALID', `${file}: needs options {maxChars, maxTokens, negationScope}, sequenceLength and vocabulary`);
  }
  const options: TokenizerOptions = { ...DEFAULT_TOKENIZER_OPTIONS, maxChars: o.maxChars, maxTokens: o.maxTokens, negationScope: o.negationScope };
  const ngrams = t.ngrams === undefined ? undefined : Vocabulary.fromJSON({ tokens: t.ngrams });
  return { encoder: new TextEncoder(Vocabulary.fromJSON({ tokens: t.vocabulary }), options, t.sequenceLength, ngrams) };
}

/**
 * Identifies a model by its content: the first 12 hex digits of SHA-256 over model.json, its
 * weights and tokenizer.json. Two directories with the same files have the same version, and a
 * retrained model a new one, with nothing to keep in step by hand.
 */
export function modelVersion(dir: string): string {
  const hash = createHash('sha256');
  try {
    for (const f of [MODEL_FILE, WEIGHTS_FILE, TOKENIZER_FILE]) hash.update(readFileSync(join(dir, f)));
  } catch (err) {
    throw new MlError('MODEL_FILES_INVALID', `cannot read the model in ${dir}: ${(err as Error).message}`, { cause: err });
  }
  return `sentiment-${hash.digest('hex').slice(0, 12)}`;
}

/**
 * The sentiment classifier loaded from a directory (model.json, weights.bin, tokenizer.json,
 * labels.json), scoring on whatever backend tfjs has at load time (see loadBackend). Every
 * tensor a call makes is disposed before it returns; dispose() frees the weights.
 */
export class SentimentModel {
  private disposed = false;

  private constructor(
    private readonly model: tf.LayersModel,
    private readonly encoder: TextEncoder,
    readonly version: string,
    readonly dir: string,
  ) {}

  static async load(dir: string): Promise<SentimentModel> {
    const labels = (readJson(join(dir, LABELS_FILE)) as Partial<LabelsFile> | null)?.labels;
    if (!Array.isArray(labels) || labels.join() !== SENTIMENT_LABELS.join()) {
      throw new MlError('MODEL_FILES_INVALID', `${join(dir, LABELS_FILE)} must list the labels ${SENTIMENT_LABELS.join(', ')} in that order`);
    }
    const { encoder } = tokenizerFrom(readJson(join(dir, TOKENIZER_FILE)), join(dir, TOKENIZER_FILE));
    const artifacts = readModelArtifacts(dir);
    registerCustomLayers();
    let model: tf.LayersModel;
    try {
      model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    } catch (err) {
      throw new MlError('MODEL_FILES_INVALID', `${join(dir, MODEL_FILE)} did not load: ${(err as Error).message}`, { cause: err });
    }
    const out = model.outputs[0]?.shape;
    const inputs = encoder.ngramVocabulary ? 3 : 2;
    if (model.inputs.length !== inputs || out?.length !== 2 || out[1] !== SENTIMENT_LABELS.length) {
      model.dispose();
      throw new MlError('MODEL_FILES_INVALID', `${join(dir, MODEL_FILE)}: expected ${inputs} inputs (ids, negated${inputs === 3 ? ', ngrams' : ''}: what ${TOKENIZER_FILE} describes) and ${SENTIMENT_LABELS.length} output probabilities`);
    }
    // An id past an embedding's rows would read another word's vector (or fail in the backend).
    for (const layer of model.layers) {
      if (layer.getClassName() !== 'Embedding') continue;
      const rows = (layer.getConfig() as { inputDim?: number }).inputDim;
      const want = layer.name.endsWith('ngram_embedding') ? encoder.ngramVocabulary?.size : encoder.vocabulary.size;
      if (rows !== want) {
        model.dispose();
        throw new MlError('MODEL_FILES_INVALID', `${TOKENIZER_FILE} has ${want ?? 'no'} entries for ${layer.name}, whose embedding has ${rows} rows`);
      }
    }
    return new SentimentModel(model, encoder, modelVersion(dir), dir);
  }

  get sequenceLength(): number {
    return this.encoder.sequenceLength;
  }

  /** Labels and probabilities of each text, in the order given. */
  score(texts: readonly string[]): SentimentResult[] {
    if (this.disposed) throw new MlError('MODEL_NOT_LOADED', `model ${this.version} was disposed`);
    if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string')) {
      throw new MlError('INPUT_INVALID', 'score() takes an array of strings');
    }
    const results: SentimentResult[] = [];
    for (let start = 0; start < texts.length; start += CHUNK) {
      const chunk = texts.slice(start, start + CHUNK);
      const encoded = this.encoder.encode(chunk);
      const rows = chunk.map((_, i) => i);
      const probs = tf.tidy(() => {
        const inputs = batchTensors(encoded, rows);
        return (this.model.predict(inputs) as tf.Tensor).dataSync();
      });
      for (let r = 0; r < chunk.length; r++) results.push(resultFromProbabilities(probs, r * SENTIMENT_LABELS.length));
    }
    return results;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.dispose();
  }
}
