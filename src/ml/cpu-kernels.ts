import * as tf from '@tensorflow/tfjs';

/** What the kernel needs of a backend: cpu's makeTensorInfo, or wasm's makeOutput(shape, dtype, offset, values). */
interface BackendLike {
  readSync(dataId: object): ArrayLike<number>;
  makeTensorInfo?(shape: number[], dtype: tf.DataType, values: Float32Array | Int32Array): tf.TensorInfo;
  makeOutput?(shape: number[], dtype: tf.DataType, memoryOffset: undefined, values: Float32Array | Int32Array): tf.TensorInfo;
}

/**
 * UnsortedSegmentSum in one pass over its input, for the cpu backend. The gradient of an
 * embedding lookup is this op with one segment per vocabulary entry; tfjs's cpu kernel loops over
 * the segments, each time masking and summing the whole input (vocabulary x batch x width: over
 * a minute per training step at 20,000 words), where the sum needs one addition per element.
 * The wasm backend has no kernel for it at all, so training runs on cpu or a native backend.
 */
function unsortedSegmentSum({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const cpu = backend as BackendLike;
  const x = inputs.x as tf.TensorInfo;
  const segmentIds = inputs.segmentIds as tf.TensorInfo;
  const numSegments = Number(attrs?.numSegments);
  const values = cpu.readSync(x.dataId);
  const ids = cpu.readSync(segmentIds.dataId);
  const inner = x.shape.slice(segmentIds.shape.length).reduce((a, b) => a * b, 1);
  const out = x.dtype === 'int32' ? new Int32Array(numSegments * inner) : new Float32Array(numSegments * inner);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i] as number;
    if (s < 0 || s >= numSegments) continue; // TensorFlow drops out-of-range ids too.
    const from = i * inner;
    const to = s * inner;
    for (let j = 0; j < inner; j++) out[to + j] = (out[to + j] as number) + (values[from + j] as number);
  }
  const shape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  // cpu's makeOutput takes (values, shape, dtype): its makeTensorInfo is the one to call there.
  if (cpu.makeTensorInfo) return cpu.makeTensorInfo(shape, x.dtype, out);
  if (cpu.makeOutput) return cpu.makeOutput(shape, x.dtype, undefined, out);
  throw new Error('UnsortedSegmentSum: the backend can make no tensor');
}

/** Gives `backend` (cpu or wasm) the linear UnsortedSegmentSum, in place of its own if any (idempotent). */
export function installTrainingKernels(backend: string): void {
  const current = tf.getKernel('UnsortedSegmentSum', backend);
  if (current?.kernelFunc === unsortedSegmentSum) return;
  if (current) tf.unregisterKernel('UnsortedSegmentSum', backend);
  tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: backend, kernelFunc: unsortedSegmentSum as unknown as tf.KernelFunc });
}
