import type { ConfigOverrides } from '../../src/index.js';

/**
 * One way of sending the same publications: the engine's settings, and what each subscriber adds
 * to its subscribe command. `none` is the baseline every other variant is compared with. A fossil
 * delta variant is one more entry: the namespace option in `engine`, `{delta: 'fossil'}` in
 * `subscribe`.
 */
export interface Variant {
  name: string;
  describe: string;
  engine: ConfigOverrides;
  subscribe: Record<string, unknown>;
}

export const BASELINE = 'none';

export const VARIANTS: readonly Variant[] = [
  { name: BASELINE, describe: 'no compression (SUPERNOVA_WS_COMPRESSION=off)', engine: { wsCompression: 'off' }, subscribe: {} },
  { name: 'shared', describe: 'permessage-deflate, shared compressor (SUPERNOVA_WS_COMPRESSION=shared)', engine: { wsCompression: 'shared' }, subscribe: {} },
  { name: 'dedicated', describe: 'permessage-deflate, a compressor per socket with a 512-byte window (SUPERNOVA_WS_COMPRESSION=dedicated)', engine: { wsCompression: 'dedicated' }, subscribe: {} },
];
