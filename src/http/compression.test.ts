import { describe, expect, it } from 'vitest';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { compressAsync, compressSync, isCompressible, negotiateEncoding } from './compression.js';

describe('negotiateEncoding', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['identity', undefined],
    ['gzip', 'gzip'],
    ['br', 'br'],
    ['gzip, deflate, br', 'br'],
    ['gzip, br;q=0.5', 'gzip'],
    ['gzip;q=0.2, br;q=0.8', 'br'],
    ['BR;Q=1, GZIP', 'br'],
    ['br;q=0, gzip', 'gzip'],
    ['br;q=0, gzip;q=0', undefined],
    ['*', 'br'],
    ['br;q=0, *', 'gzip'],
    ['*;q=0', undefined],
    ['deflate, identity', undefined],
    ['gzip;q=abc', undefined],
  ] as const)('Accept-Encoding %j -> %j', (header, expected) => {
    expect(negotiateEncoding(header)).toBe(expected);
  });
});

describe('isCompressible', () => {
  it('takes textual types and leaves binary, compressed and streaming ones alone', () => {
    for (const t of ['application/json', 'application/json; charset=utf-8', 'text/plain; version=0.0.4', 'text/html', 'application/problem+json', 'application/xml']) {
      expect(isCompressible(t)).toBe(true);
    }
    for (const t of [undefined, 'image/png', 'application/gzip', 'application/zip', 'application/msgpack', 'application/octet-stream', 'text/event-stream']) {
      expect(isCompressible(t)).toBe(false);
    }
  });
});

describe('compress', () => {
  const body = Buffer.from(JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ symbol: `S${i}`, last: 100 + i }))));
  it('round-trips through brotli and gzip, sync and async, and shrinks JSON', async () => {
    for (const [enc, decode] of [['br', brotliDecompressSync], ['gzip', gunzipSync]] as const) {
      const sync = compressSync(body, enc);
      expect(sync.length).toBeLessThan(body.length / 3);
      expect(decode(sync)).toEqual(body);
      expect(decode(await compressAsync(body, enc))).toEqual(body);
    }
  });
});
