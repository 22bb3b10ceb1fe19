import { Packr } from 'msgpackr';
import { CacheError, messageOf } from './errors.js';
import type { TierStats } from './tier.js';

/** How values become bytes for the tiers outside the process, and back. */
export interface ValueCodec {
  /** Throws ENCODE_FAILED. */
  encode(value: unknown): Uint8Array;
  /** Throws DECODE_FAILED. */
  decode(bytes: Uint8Array): unknown;
}

/**
 * msgpack without records or shared structures (another node, or another version, must read
 * what this one wrote from the bytes alone), maps as plain objects, 64-bit integers as numbers.
 *
 * The encoding of an object is remembered by identity (a WeakMap), because one write encodes
 * the same value for its size in L1, for Redis and for PostgreSQL, and a value read from a tier
 * arrives with its bytes. Cached values are therefore treated as immutable: change a value and
 * `set` it again as a new object.
 */
export class MsgpackValueCodec implements ValueCodec {
  private readonly packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true, int64AsType: 'number', moreTypes: false });
  private readonly memo = new WeakMap<object, Uint8Array>();

  encode(value: unknown): Uint8Array {
    const memoable = typeof value === 'object' && value !== null;
    if (memoable) {
      const known = this.memo.get(value);
      if (known) return known;
    }
    if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint' || value === undefined) {
      throw new CacheError('ENCODE_FAILED', `a ${typeof value} cannot be cached (msgpack carries plain data)`);
    }
    let bytes: Uint8Array;
    try {
      bytes = this.packr.pack(value);
    } catch (err) {
      throw new CacheError('ENCODE_FAILED', `the value cannot be encoded: ${messageOf(err)}`, { cause: err });
    }
    if (memoable) this.memo.set(value, bytes);
    return bytes;
  }

  decode(bytes: Uint8Array): unknown {
    let value: unknown;
    try {
      value = this.packr.unpack(bytes);
    } catch (err) {
      throw new CacheError('DECODE_FAILED', `a cached value does not decode: ${messageOf(err)}`, { cause: err });
    }
    if (typeof value === 'object' && value !== null) this.memo.set(value, bytes);
    return value;
  }
}

/**
 * What a remote tier read: the value, or a miss when nothing is stored or the bytes do not
 * decode (bytes no version of the cache wrote). Those are counted as corrupt and dropped by
 * `drop`, so the next write is what is read.
 */
export async function decodeStored<V>(codec: ValueCodec, stats: TierStats, raw: Uint8Array | undefined, drop: () => Promise<unknown>): Promise<V | undefined> {
  if (raw === undefined) {
    stats.misses++;
    return undefined;
  }
  try {
    const value = codec.decode(raw) as V;
    stats.hits++;
    return value;
  } catch {
    stats.corrupt++;
    stats.misses++;
    await drop().catch(() => undefined);
    return undefined;
  }
}
