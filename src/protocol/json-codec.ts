import { type Codec, MalformedFrameError } from './codec.js';
import type { ServerMessage } from './frames.js';

/** JSON: text frames holding one message per line, as centrifuge-js sends them by default. */
export const jsonCodec: Codec = {
  name: 'json',
  binary: false,
  decode(frame) {
    const text = Buffer.from(frame instanceof Uint8Array ? frame : new Uint8Array(frame)).toString('utf8');
    const out: unknown[] = [];
    let start = 0;
    while (start <= text.length) {
      let end = text.indexOf('\n', start);
      if (end === -1) end = text.length;
      const line = text.slice(start, end).trim();
      if (line !== '') {
        try {
          out.push(JSON.parse(line));
        } catch (err) {
          throw new MalformedFrameError(`invalid JSON: ${(err as Error).message}`, { cause: err });
        }
      }
      start = end + 1;
    }
    return out;
  },
  encode(messages) {
    return messages.length === 1 ? JSON.stringify(messages[0]) : messages.map((m) => JSON.stringify(m)).join('\n');
  },
  encodeOne(message: ServerMessage) {
    return JSON.stringify(message);
  },
};
