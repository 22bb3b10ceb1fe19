import { z } from 'zod';
import { SYMBOL_PATTERN } from '../../streams/index.js';

/** The latest time a JavaScript Date holds, in ms: past it a time argument is a mistake, not a date. */
const MAX_TIME_MS = 8.64e15;

/** A time argument of the built-in types: ms since epoch, or an ISO 8601 string, like the HTTP routes accept. */
export const timeArg = z.preprocess(
  (v) => (typeof v === 'string' && v.length <= 40 && !Number.isNaN(Date.parse(v)) ? Date.parse(v) : v),
  z.number({ error: 'is not a date (ms since epoch, or ISO 8601)' }).int().min(0).max(MAX_TIME_MS),
);

/** A symbol, as ticks and news name them. */
export const symbolArg = z.string().regex(SYMBOL_PATTERN, 'is 1-12 of A-Z 0-9 .');
