import type { Command as PbCommand, SubscribeRequest as PbSubscribeRequest } from './gen/client_pb.js';
import { MalformedFrameError } from './codec.js';
import { bytesToPublicationData, bytesToValue } from './protobuf-data.js';

/**
 * A decoded protobuf Command as the JSON-shaped object parseCommand validates, so that both
 * encodings go through one set of rules. proto3 sends no default values, so empty strings,
 * zeros, false and empty bytes are left out, as a JSON SDK leaves out what it does not set.
 * Fields this server does not implement (tf, headers, map subscriptions) are dropped,
 * as unknown JSON fields are.
 */
export function commandToRaw(cmd: PbCommand): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  if (cmd.id !== 0) raw.id = cmd.id;
  if (cmd.connect) {
    const c = cmd.connect;
    const subs: Record<string, unknown> = {};
    for (const [channel, s] of Object.entries(c.subs)) subs[channel] = recoverFields(s, {});
    raw.connect = withData(strip({ token: c.token, subs: Object.keys(subs).length > 0 ? subs : undefined, name: c.name, version: c.version }), c.data);
  }
  if (cmd.subscribe) {
    const s = cmd.subscribe;
    raw.subscribe = recoverFields(s, withData(strip({
      channel: s.channel, token: s.token, positioned: s.positioned, recoverable: s.recoverable, join_leave: s.joinLeave,
      // A bitmask: bits this server does not know (high ones included) are ignored, never refused.
      flag: s.flag === 0n ? undefined : Number(BigInt.asUintN(53, s.flag)),
      delta: s.delta,
    }), s.data));
  }
  if (cmd.unsubscribe) raw.unsubscribe = { channel: cmd.unsubscribe.channel };
  if (cmd.publish) raw.publish = { channel: cmd.publish.channel, data: bytesToPublicationData(cmd.publish.data) };
  if (cmd.presence) raw.presence = { channel: cmd.presence.channel };
  if (cmd.presenceStats) raw.presence_stats = { channel: cmd.presenceStats.channel };
  if (cmd.history) {
    const h = cmd.history;
    raw.history = strip({
      channel: h.channel, limit: h.limit, reverse: h.reverse,
      since: h.since ? { offset: safeNumber(h.since.offset, 'history.since.offset'), epoch: h.since.epoch } : undefined,
    });
  }
  if (cmd.rpc) raw.rpc = withData(strip({ method: cmd.rpc.method }), cmd.rpc.data);
  if (cmd.refresh) raw.refresh = { token: cmd.refresh.token };
  if (cmd.subRefresh) raw.sub_refresh = { channel: cmd.subRefresh.channel, token: cmd.subRefresh.token };
  // send carries no id; its data may be empty, which the JSON encoding spells as null.
  if (cmd.send) raw.send = { data: bytesToValue(cmd.send.data) ?? null };
  return raw;
}

/** The recovery fields of a subscribe (or of a connect's subs entry): offset and epoch travel with recover. */
function recoverFields(s: Pick<PbSubscribeRequest, 'recover' | 'offset' | 'epoch'>, out: Record<string, unknown>): Record<string, unknown> {
  if (s.recover) {
    out.recover = true;
    out.offset = safeNumber(s.offset, 'offset');
    out.epoch = s.epoch;
  }
  return out;
}

/** A 64-bit integer of the wire as a number; beyond 2^53 it is not a value this server ever sent. */
function safeNumber(v: bigint, field: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new MalformedFrameError(`${field} is out of range`);
  return Number(v);
}

/** Sets `data` unless the bytes are empty (a JSON 0 or false is data, not a default). */
function withData(o: Record<string, unknown>, bytes: Uint8Array): Record<string, unknown> {
  const data = bytesToValue(bytes);
  if (data !== undefined) o.data = data;
  return o;
}

/** Drops proto3 defaults: '', 0, false and undefined. */
function strip(o: Record<string, unknown>): Record<string, unknown> {
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (v === undefined || v === '' || v === 0 || v === false) delete o[k];
  }
  return o;
}
