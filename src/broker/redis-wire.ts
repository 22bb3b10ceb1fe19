import { internalPackr, JsonBytes, restoreBinaryInfo, type ClientInfo, type Publication } from '../protocol/index.js';

/**
 * What nodes send each other on a channel's PUB/SUB channel, and what its stream entries hold.
 * The payload is msgpack; the message adds a one-byte kind and, for a publication with history,
 * its position in ASCII (written by the publish script, which cannot pack msgpack around a blob).
 *
 *   p<offset>:<epoch>:<payload>   publication with history
 *   u<payload>                    publication without history
 *   j<info> / l<info>             join / leave
 *   s<token>                      a node's sync marker (see RedisSubscriptions.sync), ignored by the others
 */
export type ChannelMessage =
  | { kind: 'pub'; pub: Publication; epoch?: string }
  | { kind: 'join' | 'leave'; info: ClientInfo };
export type NodeMessage = ChannelMessage | { kind: 'sync'; token: string };

/** `j`: the exact JSON bytes of a protobuf client's data (JsonBytes), in place of `d`. */
interface PackedPublication { d?: unknown; j?: Uint8Array; i?: ClientInfo; t?: Record<string, string> }

const COLON = 0x3a;
const KIND = { p: 0x70, u: 0x75, j: 0x6a, l: 0x6c, s: 0x73 } as const;

export function packPublication(pub: Omit<Publication, 'offset'>): Buffer {
  const packed: PackedPublication = pub.data instanceof JsonBytes ? { j: Buffer.from(pub.data.buffer, pub.data.byteOffset, pub.data.byteLength) } : { d: pub.data };
  if (pub.info) packed.i = pub.info;
  if (pub.tags) packed.t = pub.tags;
  return internalPackr.pack(packed);
}

export function unpackPublication(payload: Uint8Array, offset?: number): Publication {
  const packed = internalPackr.unpack(payload) as PackedPublication;
  const data = packed.j !== undefined ? JsonBytes.copyOf(packed.j) : packed.d;
  const pub: Publication = offset === undefined ? { data } : { data, offset };
  if (packed.i) pub.info = restoreBinaryInfo(packed.i);
  if (packed.t) pub.tags = packed.t;
  return pub;
}

export function unpositionedMessage(payload: Buffer): Buffer {
  return Buffer.concat([Buffer.of(KIND.u), payload]);
}

export function syncMarker(token: string): Buffer {
  return Buffer.concat([Buffer.of(KIND.s), Buffer.from(token, 'latin1')]);
}

export function presenceMessage(kind: 'join' | 'leave', info: ClientInfo): Buffer {
  return Buffer.concat([Buffer.of(kind === 'join' ? KIND.j : KIND.l), internalPackr.pack(info)]);
}

/** Undefined for a message no node of this version sends (it is counted and dropped by the caller). */
export function parseNodeMessage(msg: Buffer): NodeMessage | undefined {
  switch (msg[0]) {
    case KIND.p: {
      const a = msg.indexOf(COLON, 1);
      const b = a < 0 ? -1 : msg.indexOf(COLON, a + 1);
      if (b < 0) return undefined;
      const offset = Number(msg.toString('latin1', 1, a));
      if (!Number.isSafeInteger(offset) || offset <= 0) return undefined;
      return { kind: 'pub', pub: unpackPublication(msg.subarray(b + 1), offset), epoch: msg.toString('latin1', a + 1, b) };
    }
    case KIND.u:
      return { kind: 'pub', pub: unpackPublication(msg.subarray(1)) };
    case KIND.s:
      return { kind: 'sync', token: msg.toString('latin1', 1) };
    case KIND.j:
    case KIND.l:
      return { kind: msg[0] === KIND.j ? 'join' : 'leave', info: restoreBinaryInfo(internalPackr.unpack(msg.subarray(1)) as ClientInfo) };
    default:
      return undefined;
  }
}
