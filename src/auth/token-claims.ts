import type { JWTPayload } from 'jose';
import { BinaryInfo, DisconnectCode, DisconnectError, ProtocolError, ErrorCode } from '../protocol/index.js';

/** Per-connection overrides of namespace options a `subs` entry may carry (Centrifugo's SubscribeOptionOverride). */
export interface SubscribeOverride {
  presence?: boolean;
  joinLeave?: boolean;
  forceRecovery?: boolean;
  forcePositioning?: boolean;
}

/** A server-side subscription a connection token grants (`channels`, or an entry of `subs`). */
export interface ServerSubscription {
  channel: string;
  /** Channel info of this connection in the channel (`info`, or `b64info` decoded). */
  info: unknown;
  /** Returned to the client in the connect reply's `subs` (`data`, or `b64data` decoded). */
  data: unknown;
  override: SubscribeOverride;
}

export interface ConnectClaims {
  user: string;
  /** When the connection expires, seconds since the epoch (`expire_at`, else `exp`); undefined: never. */
  exp: number | undefined;
  /** Server-side subscriptions granted by the token: `channels`, then the entries of `subs`. */
  subs: ServerSubscription[];
  /** Connection info (`info`, or `b64info` decoded to bytes). */
  info: unknown;
  /** Server-side only (`meta`): handed to RPC handlers, never sent to clients. */
  meta: Record<string, unknown> | undefined;
}

export interface SubscriptionClaims {
  user: string;
  channel: string;
  /** When the subscription expires (`expire_at`, else `exp`); undefined: never. */
  exp: number | undefined;
  /** Channel info (`info`, or `b64info` decoded). */
  info: unknown;
  /** Returned in the subscribe reply (`data`, or `b64data` decoded). */
  data: unknown;
  override: SubscribeOverride;
}

/** Who presents a subscription token: the token's `sub` must be the user, its `client` (when set) the connection. */
export interface Subscriber {
  user: string;
  client: string;
}

/** Standard base64 with padding, as Centrifugo decodes `b64info` (Go's StdEncoding). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const OVERRIDES = { presence: 'presence', join_leave: 'joinLeave', force_recovery: 'forceRecovery', force_positioning: 'forcePositioning' } as const;
/** Accepted for compatibility: every subscriber already gets the join/leave pushes a channel publishes. */
const IGNORED_OVERRIDES = new Set(['force_push_join_leave']);

/**
 * The Centrifugo claims of a verified connection token. `sub` must be a string (the user id is
 * compared and used as a registry key as a string), and a token with a `channel` claim is a
 * subscription token, never a connection token: otherwise any subscription token a client holds
 * would let it connect (or refresh) as that user.
 */
export function connectClaims(payload: JWTPayload): ConnectClaims {
  if (payload.channel !== undefined) throw invalid('a subscription token (channel claim) is not a connection token');
  const channels = payload.channels;
  if (channels !== undefined && (!Array.isArray(channels) || !channels.every((c) => typeof c === 'string'))) throw invalid('channels must be a list of strings');
  const subs: ServerSubscription[] = ((channels as string[] | undefined) ?? []).map((channel) => ({ channel, info: undefined, data: undefined, override: {} }));
  const seen = new Set(subs.map((s) => s.channel));
  for (const s of serverSubs(payload.subs)) {
    if (seen.has(s.channel)) continue;
    seen.add(s.channel);
    subs.push(s);
  }
  const meta = payload.meta;
  if (meta !== undefined && !isPlainObject(meta)) throw invalid('meta must be a JSON object');
  return { user: subjectOf(payload), exp: expiryOf(payload), subs, info: infoOf(payload, 'info', 'b64info'), meta: meta as Record<string, unknown> | undefined };
}

/**
 * The claims of a verified subscription token, for this channel and subscriber. A `client`
 * claim binds the token to one connection, so that a token leaked from it admits no other.
 */
export function subscriptionClaims(payload: JWTPayload, channel: string, subscriber: Subscriber): SubscriptionClaims {
  if (payload.channel !== channel) throw invalid('channel mismatch');
  if (subjectOf(payload) !== subscriber.user) throw invalid('user mismatch');
  const client: unknown = payload.client;
  if (client !== undefined && client !== '' && client !== subscriber.client) throw invalid('client mismatch (the token is for another connection)');
  return {
    user: subscriber.user, channel, exp: expiryOf(payload),
    info: infoOf(payload, 'info', 'b64info'), data: infoOf(payload, 'data', 'b64data'), override: overrideOf(payload.override, channel),
  };
}

function serverSubs(value: unknown): ServerSubscription[] {
  if (value === undefined) return [];
  if (!isPlainObject(value)) throw invalid('subs must be an object of channels');
  return Object.entries(value).map(([channel, opts]) => {
    if (opts === null) opts = {};
    if (!isPlainObject(opts)) throw invalid(`subs.${channel} must be an object`);
    return { channel, info: infoOf(opts, 'info', 'b64info', `subs.${channel}.`), data: infoOf(opts, 'data', 'b64data', `subs.${channel}.`), override: overrideOf(opts.override, `subs.${channel}.override`) };
  });
}

function overrideOf(value: unknown, where = 'override'): SubscribeOverride {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) throw invalid(`${where} must be an object`);
  const out: SubscribeOverride = {};
  for (const [name, v] of Object.entries(value)) {
    if (IGNORED_OVERRIDES.has(name)) continue;
    const field = OVERRIDES[name as keyof typeof OVERRIDES];
    if (field === undefined) throw invalid(`${where}.${name} is not an override (known: ${[...Object.keys(OVERRIDES), ...IGNORED_OVERRIDES].join(', ')})`);
    // Centrifugo's BoolValue: {"value": true}; a null or absent entry leaves the namespace's option.
    if (v === null) continue;
    const flag = isPlainObject(v) ? v.value : undefined;
    if (typeof flag !== 'boolean') throw invalid(`${where}.${name} must be {"value": true|false}`);
    out[field] = flag;
  }
  return out;
}

/**
 * `info` as it is, or `b64info` decoded: the bytes stay bytes (a protobuf client gets them as
 * they are; JSON clients see the JSON they hold, or their base64). As in Centrifugo, a non-empty
 * `b64info` wins over `info`, and one that is not base64 makes the token invalid.
 */
function infoOf(claims: Record<string, unknown>, jsonName: string, b64Name: string, where = ''): unknown {
  const b64 = claims[b64Name];
  if (b64 === undefined || b64 === '') return claims[jsonName];
  if (typeof b64 !== 'string' || !BASE64.test(b64)) throw invalid(`${where}${b64Name} must be standard base64`);
  const bytes = Buffer.from(b64, 'base64');
  return bytes.length === 0 ? undefined : BinaryInfo.fromBytes(bytes);
}

/**
 * `expire_at` decouples the connection's (or subscription's) expiry from the token's `exp`,
 * which jose has checked already: 0 means never, a time in the past is an expired token (109,
 * so the SDK fetches a new one).
 */
function expiryOf(payload: JWTPayload): number | undefined {
  const at: unknown = payload.expire_at;
  if (at === undefined) return payload.exp;
  if (typeof at !== 'number' || !Number.isSafeInteger(at) || at < 0) throw invalid('expire_at must be a whole number of seconds since the epoch');
  if (at === 0) return undefined;
  if (at <= Math.floor(Date.now() / 1000)) throw new ProtocolError(ErrorCode.TokenExpired, 'expire_at is in the past');
  return at;
}

/** The user a token names: `sub`, or "" without one; any other type is not a user id. */
function subjectOf(payload: JWTPayload): string {
  const sub: unknown = payload.sub;
  if (sub === undefined) return '';
  if (typeof sub !== 'string') throw invalid('sub must be a string');
  return sub;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalid(why: string): DisconnectError {
  return new DisconnectError(DisconnectCode.InvalidToken, `invalid token: ${why}`);
}
