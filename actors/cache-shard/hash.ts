/**
 * FNV-1a (32-bit) over the key's UTF-16 code units, which for ASCII keys are its bytes, so the
 * published test vectors hold. Cheap enough for every L1 read (a multiply and a xor per
 * character) and the same in every process and version: a key's shard never depends on where
 * or when it is hashed.
 */
export function fnv1a32(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The shard (0..shards-1) that owns `key`. */
export function shardOf(key: string, shards: number): number {
  return fnv1a32(key) % shards;
}
