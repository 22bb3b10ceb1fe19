import type { Codec } from './codec.js';
import { jsonCodec } from './json-codec.js';
import { msgpackCodec } from './msgpack-codec.js';
import { protobufCodec } from './protobuf-codec.js';

/** Every wire encoding a client may pick; the fan-out encodes a publication once for each that has subscribers. */
export const wireCodecs: readonly Codec[] = [jsonCodec, msgpackCodec, protobufCodec];

/** The one-letter prefix of an encoding's native topics (see topicOf). */
export const topicPrefix: Record<Codec['name'], string> = { json: 'j', msgpack: 'm', protobuf: 'p' };
