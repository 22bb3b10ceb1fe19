import * as tf from '@tensorflow/tfjs';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MlError } from './errors.js';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';

/** Bytes of one element of each weight dtype model.json may name (after dequantization). */
const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

function bytesOf(spec: tf.io.WeightsManifestEntry): number {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const per = DTYPE_BYTES[dtype];
  if (per === undefined || !Number.isInteger(n) || n < 0) throw new MlError('MODEL_FILES_INVALID', `weight ${spec.name}: unknown dtype ${dtype} or bad shape`);
  return n * per;
}

/**
 * Affine 8-bit quantization of the named weights (value = q * scale + min), which tfjs's loader
 * dequantizes itself (the `quantization` field of a weights manifest entry). For the embeddings,
 * most of the model's bytes, a quarter of the size for an error of at most scale/2 per value.
 */
function quantize(specs: tf.io.WeightsManifestEntry[], data: ArrayBuffer, chosen: (name: string) => boolean): { specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer } {
  const parts: Uint8Array[] = [];
  const out: tf.io.WeightsManifestEntry[] = [];
  let offset = 0;
  for (const spec of specs) {
    const size = bytesOf(spec);
    const bytes = new Uint8Array(data, offset, size);
    offset += size;
    if (!chosen(spec.name) || spec.dtype !== 'float32') {
      parts.push(bytes.slice());
      out.push(spec);
      continue;
    }
    const values = new Float32Array(bytes.slice().buffer);
    let min = Infinity;
    let max = -Infinity;
    for (const v of values) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const scale = max > min ? (max - min) / 255 : 1;
    const q = new Uint8Array(values.length);
    for (let i = 0; i < values.length; i++) q[i] = Math.round(((values[i] as number) - min) / scale);
    parts.push(q);
    out.push({ ...spec, quantization: { dtype: 'uint8', scale, min } });
  }
  const total = parts.reduce((s, p) => s + p.length, 0);
  const joined = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    joined.set(p, at);
    at += p.length;
  }
  return { specs: out, data: joined.buffer };
}

/**
 * Writes model.json (topology and weights manifest, tfjs's layers-model format) and weights.bin
 * into `dir`, quantizing to 8 bits the weights `quantized` picks by name.
 */
export async function saveModelFiles(model: tf.LayersModel, dir: string, quantized: (name: string) => boolean = () => false): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const raw = new tf.io.CompositeArrayBuffer(artifacts.weightData).slice();
    const { specs, data } = quantize(artifacts.weightSpecs ?? [], raw, quantized);
    const json: tf.io.ModelJSON = {
      modelTopology: artifacts.modelTopology as object,
      format: 'layers-model',
      generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
      convertedBy: null,
      weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: specs }],
    };
    writeFileSync(join(dir, MODEL_FILE), `${JSON.stringify(json)}\n`);
    writeFileSync(join(dir, WEIGHTS_FILE), new Uint8Array(data));
    return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON', weightDataBytes: data.byteLength } };
  }));
}

/**
 * Reads model.json and its weight files from `dir` into artifacts for tf.loadLayersModel: no
 * network, no path outside `dir` (a manifest naming ../x or /x is refused), and the weight bytes
 * must be exactly what the manifest describes.
 */
export function readModelArtifacts(dir: string): tf.io.ModelArtifacts {
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(readFileSync(join(dir, MODEL_FILE), 'utf8')) as tf.io.ModelJSON;
  } catch (err) {
    throw new MlError('MODEL_FILES_INVALID', `cannot read ${join(dir, MODEL_FILE)}: ${(err as Error).message}`, { cause: err });
  }
  if (!json || typeof json !== 'object' || typeof json.modelTopology !== 'object' || !Array.isArray(json.weightsManifest)) {
    throw new MlError('MODEL_FILES_INVALID', `${join(dir, MODEL_FILE)} is not a tfjs layers model (modelTopology and weightsManifest)`);
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    for (const path of group.paths) {
      const name = path.replace(/^\.\//, '');
      if (!/^[\w.-]+$/.test(name) || name.startsWith('.')) throw new MlError('MODEL_FILES_INVALID', `weights path ${JSON.stringify(path)} is not a file beside model.json`);
      try {
        buffers.push(readFileSync(join(dir, name)));
      } catch (err) {
        throw new MlError('MODEL_FILES_INVALID', `cannot read weights ${join(dir, name)}: ${(err as Error).message}`, { cause: err });
      }
    }
    specs.push(...group.weights);
  }
  const expected = specs.reduce((s, spec) => s + bytesOf(spec), 0);
  const total = buffers.reduce((s, b) => s + b.length, 0);
  if (expected !== total) throw new MlError('MODEL_FILES_INVALID', `weights are ${total} bytes, the manifest describes ${expected}`);
  const weightData = new Uint8Array(total);
  let at = 0;
  for (const b of buffers) {
    weightData.set(b, at);
    at += b.length;
  }
  return { modelTopology: json.modelTopology, weightSpecs: specs, weightData: weightData.buffer, format: json.format, generatedBy: json.generatedBy };
}
