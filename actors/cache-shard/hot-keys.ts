import { checkKey, RESERVED_KEY_PREFIX } from '../../src/cache/index.js';

/** Where the hot-key list lives in L2 and L3: in the reserved space no caller's key can reach. */
export const HOT_KEYS_KEY = `${RESERVED_KEY_PREFIX}hot-keys`;

/**
 * The keys to keep at stop: this node's most read L1 keys first, then those of the list already
 * stored (another node's, or an earlier run's) that are not among them, `limit` in all. Nodes
 * stopping one after the other therefore pass the union on, most recent first.
 */
export function mergeHotKeys(own: readonly { key: string; hits: number }[], stored: readonly string[], limit: number): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const key of [...[...own].sort((a, b) => b.hits - a.hits).map((e) => e.key), ...stored]) {
    if (out.length >= limit) break;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(key);
  }
  return out;
}

/** A stored list as read back: only valid keys, at most `limit` (what is in Redis may be anyone's). */
export function readHotKeys(value: unknown, limit: number): string[] {
  if (!Array.isArray(value)) return [];
  const out: string[] = [];
  for (const key of value) {
    if (out.length >= limit) break;
    try {
      checkKey(key);
      out.push(key);
    } catch {
      // not a key this cache could have written
    }
  }
  return out;
}
