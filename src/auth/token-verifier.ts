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
 * one; any other bad token is disconnect 3500.
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
    const channels = payload.channels;
    if (channels !== undefined && (!Array.isArray(channels) || !channels.every((c) => typeof c === 'string'))) {
      throw new DisconnectError(DisconnectCode.InvalidToken, 'invalid token: channels must be a list of strings');
    }
    return { user: payload.sub ?? '', exp: payload.exp, channels: (channels as string[] | undefined) ?? [], info: payload.info };
  }

  async verifySubscription(token: string, channel: string, user: string): Promise<SubscriptionClaims> {
    const payload = await this.verify(token);
    if (payload.channel !== channel) throw new DisconnectError(DisconnectCode.InvalidToken, 'invalid token: channel mismatch');
    if ((payload.sub ?? '') !== user) throw new DisconnectError(DisconnectCode.InvalidToken, 'invalid token: user mismatch');
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
