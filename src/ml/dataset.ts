import { readFileSync } from 'node:fs';
import { MlError } from './errors.js';
import { SENTIMENT_LABELS } from './labels.js';

/** Texts with their class numbers (indexes of SENTIMENT_LABELS). */
export interface LabelledTexts {
  texts: string[];
  labels: number[];
}

/**
 * RFC 4180 records: fields may be quoted, a quoted field may hold commas, doubled quotes and line
 * breaks (the tweets do). A quote left open at the end is an error rather than a silently merged
 * record, since it would swallow every row after it.
 */
export function parseCsv(content: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const text = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
    i++;
  }
  if (quoted) throw new MlError('DATA_INVALID', 'CSV ends inside a quoted field');
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

/** A `text,label` CSV whose labels are 0 (bearish), 1 (bullish) or 2 (neutral). */
export function parseLabelledCsv(content: string, source = 'CSV'): LabelledTexts {
  const rows = parseCsv(content);
  const header = rows[0];
  if (!header || header.length !== 2 || header[0] !== 'text' || header[1] !== 'label') {
    throw new MlError('DATA_INVALID', `${source}: the header must be "text,label"`);
  }
  const texts: string[] = [];
  const labels: number[] = [];
  for (let r = 1; r < rows.length; r++) {
    const [text, label, ...rest] = rows[r] as string[];
    // Number('') is 0: an empty label must not pass for bearish.
    const n = label !== undefined && /^\d+$/.test(label) ? Number(label) : -1;
    if (rest.length > 0 || text === undefined || n < 0 || n >= SENTIMENT_LABELS.length) {
      throw new MlError('DATA_INVALID', `${source}: record ${r} is not text,label with a label of 0-${SENTIMENT_LABELS.length - 1}`);
    }
    texts.push(text);
    labels.push(n);
  }
  return { texts, labels };
}

export function readLabelledCsv(file: string): LabelledTexts {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (err) {
    throw new MlError('DATA_INVALID', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseLabelledCsv(content, file);
}
