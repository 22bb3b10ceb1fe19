import { addExtension, Packr } from 'msgpackr';
import { JsonBytes } from './json-bytes.js';
import { type Codec, MalformedFrameError } from './codec.js';

// Plain msgpack maps: msgpackr's record extension would be unreadable by other clients.
// Decoding is as strict as msgpackr allows per instance: 64-bit integers become numbers (not
// BigInts) and its structured-clone references (which can build cycles) are refused. Its other
// extensions (dates, typed arrays, sets, BigInt, errors) are registered for the whole process;
// publish-time checks (measureWireValue) refuse what they decode into.
// A protobuf client's JSON bytes go to msgpack clients as the value they hold (no extension type:
// msgpackr packs write()'s result in their place).
addExtension({ Class: JsonBytes, write: (bytes: JsonBytes) => bytes.value });
const packr = new Packr({ useRecords: false, variableMapSize: true, mapsAsObjects: true, int64AsType: 'number', structuredClone: false });

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
