import { ErrorCode } from './codes.js';
import { ProtocolError } from './errors.js';

/** Why a value cannot be published: stable reasons, for metrics and for the caller's message. */
export type WireValueProblem = 'TOO_DEEP' | 'NOT_WIRE_SAFE' | 'TOO_LARGE';

/**
 * Publication data that not every wire encoding can carry, or that is over a limit. It is
 * refused at publish time (error 107) and never stored: an encode that fails later runs in the
 * fan-out, long after the publisher got its answer.
 */
export class InvalidDataError extends ProtocolError {
  constructor(readonly problem: WireValueProblem, message: string) {
    super(ErrorCode.BadRequest, message);
    this.name = 'InvalidDataError';
  }
}

export interface WireValueLimits {
  /** Most levels of arrays and objects; the encoders recurse, so a deep value overflows their stack. */
  maxDepth: number;
  /** Most bytes of the value's JSON encoding (approximately: a number counts 8). */
  maxBytes: number;
}

const NUMBER_BYTES = 8;

/**
 * Checks that `value` is plain JSON data (null, booleans, finite numbers, strings, arrays and
 * plain objects) within the limits, and returns its approximate JSON size in bytes. Anything
 * else a decoder can produce is refused: msgpack decodes BigInts, typed arrays, Dates, Maps,
 * Sets, errors and binary, which JSON cannot carry, and NaN, which JSON turns into null.
 *
 * Iterative, with an explicit stack: the check must not overflow on the very values it refuses.
 */
export function measureWireValue(value: unknown, limits: WireValueLimits): number {
  let bytes = 0;
  // Parallel stacks of values and their depths: no object per visited node.
  const values: unknown[] = [value];
  const depths: number[] = [0];
  while (values.length > 0) {
    const v = values.pop();
    const depth = depths.pop() as number;
    switch (typeof v) {
      case 'string':
        bytes += v.length + 2;
        break;
      case 'number':
        if (!Number.isFinite(v)) throw new InvalidDataError('NOT_WIRE_SAFE', `data holds ${v}, which JSON cannot carry`);
        bytes += NUMBER_BYTES;
        break;
      case 'boolean':
        bytes += 5;
        break;
      case 'object': {
        if (v === null) {
          bytes += 4;
          break;
        }
        if (depth >= limits.maxDepth) throw new InvalidDataError('TOO_DEEP', `data is nested deeper than ${limits.maxDepth} levels`);
        if (Array.isArray(v)) {
          bytes += 2 + v.length;
          for (let i = v.length - 1; i >= 0; i--) {
            values.push(v[i]);
            depths.push(depth + 1);
          }
          break;
        }
        const proto: unknown = Object.getPrototypeOf(v);
        if (proto !== Object.prototype && proto !== null) {
          throw new InvalidDataError('NOT_WIRE_SAFE', `data holds a ${describe(v)}; only JSON values (objects, arrays, strings, finite numbers, booleans, null) can be published`);
        }
        bytes += 2;
        for (const key in v) {
          bytes += key.length + 4;
          values.push((v as Record<string, unknown>)[key]);
          depths.push(depth + 1);
        }
        break;
      }
      default:
        throw new InvalidDataError('NOT_WIRE_SAFE', `data holds a ${typeof v}; only JSON values can be published`);
    }
    if (bytes > limits.maxBytes) throw new InvalidDataError('TOO_LARGE', `data is over ${limits.maxBytes} bytes`);
  }
  return bytes;
}

function describe(v: object): string {
  const name = (v as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? name : 'non-plain object';
}
