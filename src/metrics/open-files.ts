import { readdirSync } from 'node:fs';

/** Open file descriptors of this process (Linux /proc); undefined where it cannot be counted. */
export function openFileCount(): number | undefined {
  try {
    // readdir holds one descriptor of its own while listing.
    return readdirSync('/proc/self/fd').length - 1;
  } catch {
    return undefined;
  }
}
