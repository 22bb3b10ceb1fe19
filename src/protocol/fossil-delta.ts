import { isUtf8 } from 'node:buffer';
import { createDelta } from 'fossil-delta';
import type { Codec } from './codec.js';
import type { Publication } from './frames.js';

/** The delta types a subscribe may ask for (Centrifugo's `delta` field); '' asks for none. */
export const deltaTypes = ['fossil'] as const;
export type DeltaType = (typeof deltaTypes)[number];

/**
 * Encodings a delta can travel in: those of Centrifugo's SDKs, which apply the deltas. msgpack
 * is this server's own encoding and no SDK decodes deltas in it, so its subscribers never get one.
 */
export function carriesDelta(codec: Codec): boolean {
  return codec.name === 'json' || codec.name === 'protobuf';
}

/** The bytes a publication's data is diffed as: its JSON text, the same bytes a protobuf subscriber receives. */
export function dataBytes(data: unknown): Buffer {
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(JSON.stringify(data) ?? '', 'utf8');
}

/**
 * A fossil delta from `base` to `next`, or undefined when it would not be smaller than `next`
 * itself (Centrifugo sends the whole data then, and so do we).
 */
export function fossilPatch(base: Uint8Array, next: Uint8Array): Buffer | undefined {
  const patch = createDelta(base, next);
  return patch.length < next.length ? Buffer.from(patch.buffer, patch.byteOffset, patch.byteLength) : undefined;
}

/**
 * One publication as every delta subscriber of one encoding gets it. In JSON, Centrifugo carries a
 * delta subscription's data as a JSON string, whole (the data's JSON text) or delta (the patch's
 * bytes as text), and centrifuge-js turns that string back into bytes with UTF-8. So a patch goes
 * out as JSON only when it is valid UTF-8: fossil copies literal byte runs of the data, and a run
 * may cut a multi-byte character in two; such a publication goes whole instead. protobuf carries
 * the bytes as they are.
 */
export function deltaPublication(codec: Codec, pub: Publication, whole: Buffer, patch: Buffer | undefined): Publication {
  const out: Publication = { data: undefined };
  if (codec.name === 'json') {
    if (patch && isUtf8(patch)) {
      out.data = patch.toString('utf8');
      out.delta = true;
    } else out.data = whole.toString('utf8');
  } else if (patch) {
    out.data = patch;
    out.delta = true;
  } else out.data = whole;
  if (pub.offset !== undefined) out.offset = pub.offset;
  if (pub.info !== undefined) out.info = pub.info;
  if (pub.tags !== undefined) out.tags = pub.tags;
  return out;
}

/**
 * A publication a JSON delta subscriber gets outside the live stream (recovered, or the latest
 * in a subscribe reply): whole, with its data as the JSON string centrifuge-js expects once delta
 * is on. protobuf data is bytes either way, so only JSON changes.
 */
export function wholeForDelta(codec: Codec, pub: Publication): Publication {
  if (codec.name !== 'json') return pub;
  return { ...pub, data: JSON.stringify(pub.data) ?? 'null' };
}
