import { MlError } from './errors.js';

/** Id 0 pads a sequence; id 1 stands for any token the vocabulary lacks. */
export const PAD_ID = 0;
export const UNK_ID = 1;
const RESERVED = ['<pad>', '<unk>'];

export interface VocabularyJson {
  tokens: string[];
}

/** Tokens to ids and back; the order of `tokens` is the ids, and is what the model was trained on. */
export class Vocabulary {
  private readonly ids = new Map<string, number>();

  private constructor(readonly tokens: readonly string[]) {
    tokens.forEach((t, i) => {
      if (this.ids.has(t)) throw new MlError('MODEL_FILES_INVALID', `vocabulary repeats the token ${JSON.stringify(t)}`);
      this.ids.set(t, i);
    });
  }

  get size(): number {
    return this.tokens.length;
  }

  id(token: string): number {
    return this.ids.get(token) ?? UNK_ID;
  }

  has(token: string): boolean {
    return this.ids.has(token);
  }

  /**
   * Tokens seen at least minCount times, most frequent first (ties in code-point order, so the
   * ids do not depend on the order of the data), then `extra` tokens not already in, in the order
   * given, up to maxSize in all.
   */
  static build(counts: ReadonlyMap<string, number>, minCount: number, maxSize: number, extra: Iterable<string> = []): Vocabulary {
    const seen = [...counts].filter(([t, n]) => n >= minCount && !RESERVED.includes(t))
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([t]) => t);
    const tokens = [...RESERVED, ...seen].slice(0, maxSize);
    const have = new Set(tokens);
    for (const t of extra) {
      if (tokens.length >= maxSize) break;
      if (!have.has(t)) {
        have.add(t);
        tokens.push(t);
      }
    }
    return new Vocabulary(tokens);
  }

  toJSON(): VocabularyJson {
    return { tokens: [...this.tokens] };
  }

  static fromJSON(json: unknown): Vocabulary {
    const tokens = (json as VocabularyJson | null)?.tokens;
    if (!Array.isArray(tokens) || tokens.length < RESERVED.length || !tokens.every((t) => typeof t === 'string')
      || RESERVED.some((r, i) => tokens[i] !== r)) {
      throw new MlError('MODEL_FILES_INVALID', `a vocabulary is {"tokens": [${RESERVED.map((r) => JSON.stringify(r)).join(', ')}, ...]}`);
    }
    return new Vocabulary(tokens);
  }
}
