export * from './codes.js';
export * from './errors.js';
export type * from './frames.js';
export { type Codec, MalformedFrameError } from './codec.js';
export { jsonCodec } from './json-codec.js';
export { msgpackCodec, internalPackr } from './msgpack-codec.js';
export { parseCommand, commandMethod } from './validate.js';
export { InvalidDataError, measureWireValue, type WireValueLimits, type WireValueProblem } from './wire-value.js';
