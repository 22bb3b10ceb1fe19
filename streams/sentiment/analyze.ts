import { InvalidParamsError } from '../errors.js';

export const SENTIMENT_ANALYZE_METHOD = 'sentiment.analyze';

export interface AnalyzeLimits {
  /** Texts per request at most (SUPERNOVA_ML_MAX_BATCH). */
  maxBatch: number;
  /** Characters per text at most (SUPERNOVA_ML_MAX_TEXT_CHARS). */
  maxTextChars: number;
  /** The variables that set them, for messages. */
  names: { maxBatch: string; maxTextChars: string };
}

/**
 * The texts of an analyze body `{"texts": [...]}` (HTTP and RPC alike), or an InvalidParamsError
 * naming what is wrong and the limit it broke: 1 to maxBatch texts, each a non-blank string of at
 * most maxTextChars characters.
 */
export function readAnalyzeTexts(body: unknown, limits: AnalyzeLimits): string[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidParamsError('the body must be an object {"texts": [string, ...]}');
  const texts = (body as Record<string, unknown>)['texts'];
  if (!Array.isArray(texts)) throw new InvalidParamsError(`"texts" must be an array of strings, got ${texts === null ? 'null' : typeof texts}`);
  if (texts.length === 0) throw new InvalidParamsError('"texts" must hold at least one text');
  if (texts.length > limits.maxBatch) throw new InvalidParamsError(`"texts" holds ${texts.length} texts; at most ${limits.maxBatch} (${limits.names.maxBatch})`);
  texts.forEach((t, i) => {
    if (typeof t !== 'string') throw new InvalidParamsError(`texts[${i}] must be a string, got ${t === null ? 'null' : typeof t}`);
    if (t.trim() === '') throw new InvalidParamsError(`texts[${i}] is empty; a text has 1-${limits.maxTextChars} characters (${limits.names.maxTextChars})`);
    if (t.length > limits.maxTextChars) throw new InvalidParamsError(`texts[${i}] has ${t.length} characters; at most ${limits.maxTextChars} (${limits.names.maxTextChars})`);
  });
  return texts as string[];
}
