import { WireType } from '@bufbuild/protobuf/wire';
import { ClientInfoSchema, PublicationSchema, PushSchema, ReplySchema } from './gen/client_pb.js';
import type { ClientInfo, Publication } from './frames.js';
import { valueToBytes } from './protobuf-data.js';

/** The one-byte tag of a length-delimited field; every field here is numbered below 16. */
function lenTag(field: number): number {
  if (field >= 16) throw new Error(`field ${field} needs a longer tag`);
  return (field << 3) | WireType.LengthDelimited;
}

// Field numbers come from the generated descriptors, not written out: a regenerated client.proto
// that renumbered a field would change them here too.
const T = {
  push: lenTag(ReplySchema.field.push.number),
  channel: lenTag(PushSchema.field.channel.number),
  pub: lenTag(PushSchema.field.pub.number),
  data: lenTag(PublicationSchema.field.data.number),
  info: lenTag(PublicationSchema.field.info.number),
  offset: (PublicationSchema.field.offset.number << 3) | WireType.Varint,
  tags: lenTag(PublicationSchema.field.tags.number),
  delta: (PublicationSchema.field.delta.number << 3) | WireType.Varint,
  user: lenTag(ClientInfoSchema.field.user.number),
  client: lenTag(ClientInfoSchema.field.client.number),
  connInfo: lenTag(ClientInfoSchema.field.connInfo.number),
  chanInfo: lenTag(ClientInfoSchema.field.chanInfo.number),
  // A map entry's key and value are fields 1 and 2.
  key: lenTag(1),
  value: lenTag(2),
};

/** Bytes of a varint (a non-negative safe integer). */
function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Bytes of a length-delimited field of `len` bytes with a one-byte tag. */
const fieldSize = (len: number): number => 1 + varintSize(len) + len;

/**
 * The publication push `Reply{push{channel, pub}}`, length-delimited, written in one buffer of
 * its exact size. The fan-out encodes one for every publication that has protobuf subscribers,
 * and the generic path (create(), toBinary(), a BinaryWriter per message) costs several times
 * the JSON encoding of the same push; sizes are summed first, then each field is written once.
 * The bytes are the generic path's, field for field (proto3 defaults left out, fields in number
 * order); a test holds the two equal.
 */
export function encodePublicationPush(channel: string, pub: Publication): Buffer {
  // The data's JSON text is written straight into the frame, not copied through a Buffer of its own.
  const data = pub.data instanceof Uint8Array ? pub.data : jsonText(pub.data);
  const dataLen = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  const info = pub.info === undefined ? undefined : clientInfoParts(pub.info);
  const tags = pub.tags === undefined ? [] : Object.entries(pub.tags).map(([k, v]) => [k, v, Buffer.byteLength(k), Buffer.byteLength(v)] as const);
  const offset = pub.offset !== undefined && pub.offset > 0 ? pub.offset : 0;

  let pubLen = dataLen > 0 ? fieldSize(dataLen) : 0;
  if (info) pubLen += fieldSize(info.size);
  if (offset > 0) pubLen += 1 + varintSize(offset);
  for (const [, , kl, vl] of tags) pubLen += fieldSize(fieldSize(kl) + fieldSize(vl));
  if (pub.delta === true) pubLen += 2;
  const channelLen = Buffer.byteLength(channel);
  const pushLen = (channelLen > 0 ? fieldSize(channelLen) : 0) + fieldSize(pubLen);
  const replyLen = fieldSize(pushLen);

  const out = Buffer.allocUnsafe(varintSize(replyLen) + replyLen);
  let p = writeVarint(out, 0, replyLen);
  out[p++] = T.push;
  p = writeVarint(out, p, pushLen);
  if (channelLen > 0) p = writeString(out, p, T.channel, channel, channelLen);
  out[p++] = T.pub;
  p = writeVarint(out, p, pubLen);
  if (dataLen > 0) p = typeof data === 'string' ? writeString(out, p, T.data, data, dataLen) : writeBytes(out, p, T.data, data);
  if (info) {
    out[p++] = T.info;
    p = writeVarint(out, p, info.size);
    if (info.userLen > 0) p = writeString(out, p, T.user, info.user, info.userLen);
    if (info.clientLen > 0) p = writeString(out, p, T.client, info.client, info.clientLen);
    if (info.conn.length > 0) p = writeBytes(out, p, T.connInfo, info.conn);
    if (info.chan.length > 0) p = writeBytes(out, p, T.chanInfo, info.chan);
  }
  if (offset > 0) {
    out[p++] = T.offset;
    p = writeVarint(out, p, offset);
  }
  for (const [k, v, kl, vl] of tags) {
    out[p++] = T.tags;
    p = writeVarint(out, p, fieldSize(kl) + fieldSize(vl));
    p = writeString(out, p, T.key, k, kl);
    p = writeString(out, p, T.value, v, vl);
  }
  if (pub.delta === true) {
    out[p++] = T.delta;
    out[p] = 1;
  }
  return out;
}

/** A value's JSON text as valueToBytes encodes it ('' for nothing to send). */
function jsonText(value: unknown): string {
  if (value === undefined) return '';
  return JSON.stringify(value) ?? '';
}

function clientInfoParts(i: ClientInfo) {
  const conn = valueToBytes(i.conn_info);
  const chan = valueToBytes(i.chan_info);
  const userLen = Buffer.byteLength(i.user);
  const clientLen = Buffer.byteLength(i.client);
  const size = (userLen > 0 ? fieldSize(userLen) : 0) + (clientLen > 0 ? fieldSize(clientLen) : 0)
    + (conn.length > 0 ? fieldSize(conn.length) : 0) + (chan.length > 0 ? fieldSize(chan.length) : 0);
  return { user: i.user, client: i.client, userLen, clientLen, conn, chan, size };
}

function writeVarint(out: Buffer, p: number, n: number): number {
  while (n >= 0x80) {
    out[p++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  out[p++] = n;
  return p;
}

function writeString(out: Buffer, p: number, tag: number, s: string, len: number): number {
  out[p++] = tag;
  p = writeVarint(out, p, len);
  return p + out.write(s, p, len, 'utf8');
}

function writeBytes(out: Buffer, p: number, tag: number, bytes: Uint8Array): number {
  out[p++] = tag;
  p = writeVarint(out, p, bytes.length);
  out.set(bytes, p);
  return p + bytes.length;
}
