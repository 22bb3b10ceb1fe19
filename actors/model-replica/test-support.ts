import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MODEL_DIR = fileURLToPath(new URL('../../models/sentiment', import.meta.url));

interface Manifest {
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string; quantization?: { dtype: string } }[] }[];
}

const ELEMENT_BYTES: Record<string, number> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2, bool: 1 };

/**
 * A copy of the committed model in `into` (a new temp dir by default), with every output
 * kernel's weights (float32, not quantized) multiplied by `factor`: another version (its hash
 * differs) with other probabilities.
 */
export function scaledModelCopy(factor: number, into = mkdtempSync(join(tmpdir(), 'supernova-model-'))): string {
  for (const f of readdirSync(MODEL_DIR)) copyFileSync(join(MODEL_DIR, f), join(into, f));
  const manifest = JSON.parse(readFileSync(join(into, 'model.json'), 'utf8')) as Manifest;
  const bytes = readFileSync(join(into, 'weights.bin'));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  let scaled = 0;
  for (const group of manifest.weightsManifest) {
    for (const w of group.weights) {
      const dtype = w.quantization?.dtype ?? w.dtype;
      const n = w.shape.reduce((a, b) => a * b, 1);
      if (w.name.endsWith('probabilities/kernel') && dtype === 'float32') {
        for (let i = 0; i < n; i++) view.setFloat32(offset + i * 4, view.getFloat32(offset + i * 4, true) * factor, true);
        scaled++;
      }
      offset += n * (ELEMENT_BYTES[dtype] ?? Number.NaN);
    }
  }
  if (offset !== bytes.byteLength || scaled === 0) throw new Error(`the weights manifest does not describe weights.bin (${offset} of ${bytes.byteLength} bytes, ${scaled} kernels scaled)`);
  writeFileSync(join(into, 'weights.bin'), bytes);
  return into;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
