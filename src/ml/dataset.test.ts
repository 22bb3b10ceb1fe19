import { describe, expect, it } from 'vitest';
import { parseCsv, parseLabelledCsv } from './dataset.js';
import { MlError } from './errors.js';

describe('parseCsv', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, CRLF and a BOM', () => {
    expect(parseCsv('\ufefftext,label\r\n"a, ""b""\nc",1\nplain,2\n')).toEqual([['text', 'label'], ['a, "b"\nc', '1'], ['plain', '2']]);
    expect(parseCsv('x,0')).toEqual([['x', '0']]);
    expect(parseCsv('')).toEqual([]);
  });

  it('refuses a quote left open, which would swallow every record after it', () => {
    expect(() => parseCsv('text,label\n"open,0\nnext,1\n')).toThrow(MlError);
  });
});

describe('parseLabelledCsv', () => {
  it('gives texts and labels 0-2', () => {
    expect(parseLabelledCsv('text,label\nup,1\ndown,0\n')).toEqual({ texts: ['up', 'down'], labels: [1, 0] });
  });

  it('names the bad record: a wrong header, a label out of range or not a number, an extra field', () => {
    expect(() => parseLabelledCsv('sentence,label\nx,1\n')).toThrow(/header/);
    for (const bad of ['x,3', 'x,-1', 'x,', 'x,one', 'x,1,extra', 'x,1.5']) {
      expect(() => parseLabelledCsv(`text,label\nok,2\n${bad}\n`, 'f.csv')).toThrow(/f.csv: record 2 /);
    }
  });
});
