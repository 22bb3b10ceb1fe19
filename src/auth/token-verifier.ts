import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { DisconnectCode, DisconnectError, ErrorCode, ProtocolError } from '../protocol/index.js';

export interface ConnectClaims {
  user: string;
  /** Expiry in seconds since the epoch; undefined: the connection never expires. */
  exp: number | undefined;
  /** Server-side subscriptions granted by the token. */
  channels: string[];
  info: unknown;
}

export interface SubscriptionClaims {
  user: string;
  channel: string;
  exp: number | undefined;
  info: unknown;
}

/**
 * Verifies HS256 connection and subscription JWTs (Centrifugo's claims: sub, exp, channels,
 * info; channel for subscription tokens). An expired token is error 109 so the SDK fetches a new
 * one; any other bad token is disconnect 3500. `sub` must be a string when present (the user id
 * is compared and used as a registry key as a string), and a token with a `channel` claim is a
 * subscription token, never a connection token: otherwise any subscription token a client holds
 * would let it connect (or refresh) as that user.
 */
export class TokenVerifier {
  private readonly key: Uint8Array | undefined;

  constructor(secret: string | undefined) {
    this.key = secret === undefined ? undefined : new TextEncoder().encode(secret);
  }

  get enabled(): boolean {
    return this.key !== undefined;
  }

  async verifyConnect(token: string): Promise<ConnectClaims> {
    const payload = await this.verify(token);
    if (payload.channel !== undefined) throw new DisconnectError(DisconnectCode.InvalidToken, 'invalid token: a subscription token (channel claim) is not a connection token');
    const channels = payload.channels;
    if (channels !== undefined && (!Array.isArray(channels) || !channels.every((c) => typeof c === 'string'))) {
      throw new DisconnectError(DisconnectCode.InvalidToken, 'invalid token: channels must be a list of strings');
    }
    return { user: subjectOf(payload), exp: payload.exp, channels: (channels as string[] | undefined) ?? [], info: payload.info };
  }

  async verifySubscription(token: string, channel: string, user: string): Promise<SubscriptionClaims> {
    const payload = await this.verify(token);
    if (payload.channel !== channel) throw new DisconnectError(DisconnectCode.InvalidToken, 'invalid token: channel mismatch');
    if (subjectOf(payload) !== user) throw new DisconnectError(DisconnectCode.InvalidToken, 'invalid token: user mismatch');
    return { user, channel, exp: payload.exp, info: payload.info };
  }

  private async verify(token: string): Promise<JWTPayload> {
    if (!this.key) throw new DisconnectError(DisconnectCode.InvalidToken, 'invalid token: tokens are not enabled (set SUPERNOVA_TOKEN_HMAC_SECRET)');
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'] });
      return payload;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new ProtocolError(ErrorCode.TokenExpired);
      throw new DisconnectError(DisconnectCode.InvalidToken, `invalid token: ${(err as Error).message}`);
    }
  }
}

/** The user a token names: `sub`, or "" without one; any other type is not a user id. */
function subjectOf(payload: JWTPayload): string {
  const sub: unknown = payload.sub;
  if (sub === undefined) return '';
  if (typeof sub !== 'string') throw new DisconnectError(DisconnectCode.InvalidToken, 'invalid token: sub must be a string');
  return sub;
}
