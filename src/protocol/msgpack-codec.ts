import { Packr } from 'msgpackr';
import { type Codec, MalformedFrameError } from './codec.js';

// Plain msgpack maps: msgpackr's record extension would be unreadable by other clients.
const packr = new Packr({ useRecords: false, variableMapSize: true, mapsAsObjects: true, int64AsType: 'number' });

/** msgpack: binary frames holding one or more values back to back, with the JSON field names. */
export const msgpackCodec: Codec = {
  name: 'msgpack',
  binary: true,
  decode(frame) {
    const bytes = Buffer.from(frame instanceof Uint8Array ? frame : new Uint8Array(frame));
    try {
      return packr.unpackMultiple(bytes) ?? [];
    } catch (err) {
      throw new MalformedFrameError(`invalid msgpack: ${(err as Error).message}`, { cause: err });
    }
  },
  encode(messages) {
    if (messages.length === 1) return packr.pack(messages[0]);
    return Buffer.concat(messages.map((m) => packr.pack(m)));
  },
  encodeOne(message) {
    return packr.pack(message);
  },
};

/** msgpack for messages between threads, processes and nodes. */
export const internalPackr = packr;
