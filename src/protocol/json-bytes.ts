/**
 * Publication data a protobuf client sent: its exact bytes, which hold UTF-8 JSON, with the value
 * they parse to. Centrifugo hands a publication's bytes on untouched, and SDK suites compare them
 * byte for byte, so protobuf subscribers (and fossil deltas, which diff these bytes) get them as
 * sent, whitespace and key order included. JSON clients and the server API see the value
 * (toJSON, which JSON.stringify calls); msgpack clients see it too (the msgpack codec packs the
 * value in place of the bytes); the checks at publish time measure the value.
 */
export class JsonBytes extends Uint8Array {
  private parsed: { value: unknown } | undefined;

  /** A copy of `bytes` (a view would hold on to the whole frame it came in) with its value. */
  static copyOf(bytes: Uint8Array, value?: { value: unknown }): JsonBytes {
    const out = new JsonBytes(bytes.byteLength);
    out.set(bytes);
    out.parsed = value;
    return out;
  }

  /** The JSON value; the bytes were checked to parse when they were taken in. */
  get value(): unknown {
    this.parsed ??= { value: JSON.parse(Buffer.from(this.buffer, this.byteOffset, this.byteLength).toString('utf8')) as unknown };
    return this.parsed.value;
  }

  toJSON(): unknown {
    return this.value;
  }
}

/** The value data stands for: the parsed value of JsonBytes, the data itself otherwise. */
export function jsonValueOf(data: unknown): unknown {
  return data instanceof JsonBytes ? data.value : data;
}
