import { ngramFeatures } from './naive-bayes.js';
import { tokenize, type TokenizerOptions } from './tokenizer.js';
import { PAD_ID, type Vocabulary } from './vocabulary.js';

/** A batch as the model takes it: row-major [texts, width] arrays, PAD_ID after the end. */
export interface EncodedBatch {
  count: number;
  sequenceLength: number;
  /** Vocabulary ids of the tokens. */
  ids: Int32Array;
  /** 1 where the token is in a negation's scope, else 0. */
  negated: Float32Array;
  /** Width of a row of `ngrams` (2 * sequenceLength - 1: every token and adjacent pair). */
  ngramLength: number;
  /** N-gram vocabulary ids of the known uni- and bigrams (unknown ones are left out). */
  ngrams: Int32Array;
}

/**
 * Texts to fixed-length sequences: the first sequenceLength tokens of each (headlines say what
 * matters first, and a longer text must not push it out), and the known uni- and bigrams of
 * those tokens when the model has an n-gram branch.
 */
export class TextEncoder {
  constructor(
    readonly vocabulary: Vocabulary,
    readonly tokenizer: TokenizerOptions,
    readonly sequenceLength: number,
    readonly ngramVocabulary?: Vocabulary,
  ) {}

  encode(texts: readonly string[]): EncodedBatch {
    const L = this.sequenceLength;
    const N = this.ngramVocabulary ? 2 * L - 1 : 0;
    const ids = new Int32Array(texts.length * L).fill(PAD_ID);
    const negated = new Float32Array(texts.length * L);
    const ngrams = new Int32Array(texts.length * N).fill(PAD_ID);
    texts.forEach((text, row) => {
      const tokens = tokenize(text, this.tokenizer).slice(0, L);
      tokens.forEach((t, i) => {
        ids[row * L + i] = this.vocabulary.id(t.text);
        negated[row * L + i] = t.negated ? 1 : 0;
      });
      if (this.ngramVocabulary) {
        let k = 0;
        for (const f of ngramFeatures(tokens)) {
          if (this.ngramVocabulary.has(f)) ngrams[row * N + k++] = this.ngramVocabulary.id(f);
        }
      }
    });
    return { count: texts.length, sequenceLength: L, ids, negated, ngramLength: N, ngrams };
  }
}
