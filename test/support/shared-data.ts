import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * `../shared/data/<path>` beside the checkout. Locally a missing data set skips the test that
 * needs it (with a message); under CI=true it is a failure, because CI always has the data.
 */
export function sharedData(path: string): { file: string; available: boolean } {
  const file = fileURLToPath(new URL(`../../../shared/data/${path}`, import.meta.url));
  const available = existsSync(file);
  if (!available) {
    if (process.env.CI === 'true') throw new Error(`shared data ${path} is missing (looked at ${file}); CI must have ../shared/data`);
    console.warn(`skipping: shared data ${path} is not at ${file}`);
  }
  return { file, available };
}
