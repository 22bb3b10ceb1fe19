/**
 * Headline and tweet tokenizer. Everything a model learns from goes through it, at training and
 * at inference alike, so it is a pure function of the text and its options (saved with the model):
 * no locale, no randomness, no state.
 */

/** Options saved in tokenizer.json beside the model, so inference tokenizes as training did. */
export interface TokenizerOptions {
  /** Characters read at most; the rest of a longer text is ignored (bounds the work per text). */
  maxChars: number;
  /** Tokens produced at most. */
  maxTokens: number;
  /** Words after a negator (not, no, n't, never, without...) that are marked negated. */
  negationScope: number;
}

export const DEFAULT_TOKENIZER_OPTIONS: TokenizerOptions = { maxChars: 2_000, maxTokens: 128, negationScope: 3 };

export interface Token {
  text: string;
  /** Inside the scope of a negator: "not", then the next words up to a clause break. */
  negated: boolean;
}

/** Placeholders for things whose identity says nothing about sentiment but whose presence may. */
export const SPECIAL_TOKENS = {
  url: '<url>',
  cashtag: '<cashtag>',
  user: '<user>',
  money: '<money>',
  pctUp: '<pct_up>',
  pctDown: '<pct_down>',
  pct: '<pct>',
  numUp: '<num_up>',
  numDown: '<num_down>',
  num: '<num>',
} as const;

const NEGATORS = new Set(['not', 'no', 'never', 'nor', 'without', 'none', 'neither', 'nothing', 'nobody', 'cannot', 'lack', 'lacks']);

// Contracted negations: the base word (can't -> can, won't -> will) then "not".
const NT_BASES: Record<string, string> = { ca: 'can', wo: 'will', sha: 'shall', ai: 'is' };

// One pass with a sticky alternation, first branch that matches wins. Each branch is linear in
// what it consumes (no nested quantifiers), so hostile input costs at most maxChars steps.
const NUMBER = String.raw`\d+(?:[.,:]\d+)*`;
const SCALE = String.raw`(?:\s?(?:k|m|mm|mn|bn|b|t|tn|thousand|million|billion|trillion)(?![\p{L}\p{N}]))?`;
const PATTERN = new RegExp(
  [
    String.raw`(?<url>(?:https?:\/\/|www\.)[^\s]+)`,
    String.raw`(?<cashtag>\$[a-z][a-z0-9]{0,9}(?:[._][a-z]{1,3})?(?![\p{L}\p{N}]))`,
    String.raw`(?<user>@[\p{L}\p{N}_]+)`,
    String.raw`(?<pct>(?<![\p{L}\p{N}])(?<psign>[+\-\u2212])?${NUMBER}\s?(?:%|percent(?![\p{L}])|pct(?![\p{L}])))`,
    String.raw`(?<money>(?:[+\-\u2212])?[$\u20ac\u00a3\u00a5]\s?${NUMBER}${SCALE}|(?<![\p{L}\p{N}])(?:[+\-\u2212])?${NUMBER}\s?(?:usd|eur|dollars?|euros?)(?![\p{L}]))`,
    String.raw`(?<num>(?<![\p{L}\p{N}])(?<nsign>[+\-\u2212])?${NUMBER}${SCALE})`,
    String.raw`(?<word>\p{L}[\p{L}\p{M}\p{N}]*(?:'\p{L}+)?)`,
    String.raw`(?<emoji>\p{Extended_Pictographic})`,
    String.raw`(?<mark>[!?])`,
    String.raw`(?<stop>[.,;:()\[\]{}"|\u2014\u2013])`,
  ].join('|'),
  'gu',
);

const CONTROL = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}]/gu;

/**
 * The text as the pattern reads it: at most maxChars, NFKC (full-width and ligature forms become
 * plain), typographic quotes and dashes as ASCII, control and format characters as spaces,
 * lower case.
 */
function normalise(text: string, maxChars: number): string {
  const head = text.length > maxChars ? text.slice(0, maxChars) : text;
  return head
    .normalize('NFKC')
    .replace(/[\u2018\u2019\u02bc\u2032]/g, "'")
    .replace(/[\u201c\u201d\u2033]/g, '"')
    .replace(CONTROL, ' ')
    .toLowerCase();
}

function signed(sign: string | undefined, up: string, down: string, none: string): string {
  if (sign === '+') return up;
  if (sign === '-' || sign === '\u2212') return down;
  return none;
}

/** The words of one word match: contractions split, "'s" and other clitics dropped. */
function wordParts(word: string): string[] {
  if (word.endsWith("n't") && word.length > 3) {
    const base = word.slice(0, -3);
    return [NT_BASES[base] ?? base, 'not'];
  }
  const apostrophe = word.indexOf("'");
  if (apostrophe > 0) return [word.slice(0, apostrophe)];
  if (word === 'cannot') return ['can', 'not'];
  return [word];
}

/** Tokens of a text, in order; never throws for any string. */
export function tokenize(text: string, options: TokenizerOptions = DEFAULT_TOKENIZER_OPTIONS): Token[] {
  const out: Token[] = [];
  const src = normalise(typeof text === 'string' ? text : '', options.maxChars);
  let negationLeft = 0;
  const push = (t: string, wordLike: boolean): void => {
    if (NEGATORS.has(t)) {
      // The negator itself is not negated: "no" is the signal, the words after are its scope.
      out.push({ text: t, negated: false });
      negationLeft = options.negationScope;
      return;
    }
    out.push({ text: t, negated: negationLeft > 0 });
    if (negationLeft > 0 && wordLike) negationLeft--;
  };
  PATTERN.lastIndex = 0;
  for (const m of src.matchAll(PATTERN)) {
    if (out.length >= options.maxTokens) break;
    const g = m.groups as Record<string, string | undefined>;
    if (g.url !== undefined) push(SPECIAL_TOKENS.url, false);
    else if (g.cashtag !== undefined) push(SPECIAL_TOKENS.cashtag, false);
    else if (g.user !== undefined) push(SPECIAL_TOKENS.user, false);
    else if (g.pct !== undefined) push(signed(g.psign, SPECIAL_TOKENS.pctUp, SPECIAL_TOKENS.pctDown, SPECIAL_TOKENS.pct), false);
    else if (g.money !== undefined) push(SPECIAL_TOKENS.money, false);
    else if (g.num !== undefined) push(signed(g.nsign, SPECIAL_TOKENS.numUp, SPECIAL_TOKENS.numDown, SPECIAL_TOKENS.num), false);
    else if (g.word !== undefined) {
      for (const part of wordParts(g.word)) if (out.length < options.maxTokens) push(part, true);
    } else if (g.emoji !== undefined) push(g.emoji, false);
    else if (g.mark !== undefined) {
      negationLeft = 0;
      push(g.mark, false);
    } else negationLeft = 0;
  }
  return out;
}

/**
 * The symbols of a text's cashtags ($AAPL -> AAPL), upper case, each once, in order of first
 * appearance: what the text is about, which the tokens leave out on purpose.
 */
export function cashtagSymbols(text: string, maxChars = DEFAULT_TOKENIZER_OPTIONS.maxChars): string[] {
  const seen = new Set<string>();
  const head = typeof text === 'string' ? text.slice(0, maxChars) : '';
  for (const m of head.matchAll(/(?<![\p{L}\p{N}$])\$([A-Za-z][A-Za-z0-9]{0,9}(?:[._][A-Za-z]{1,3})?)(?![\p{L}\p{N}])/gu)) {
    seen.add((m[1] as string).toUpperCase());
  }
  return [...seen];
}
