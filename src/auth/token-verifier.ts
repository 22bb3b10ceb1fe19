import { errors as joseErrors, jwtVerify, type CryptoKey, type FlattenedJWSInput, type JWTHeaderParameters, type JWTPayload, type KeyObject } from 'jose';
import { JWKS_ALGORITHMS, JwksKeySource, JwksUnavailableError, type JwksOptions } from './jwks-key-source.js';
import type { TokenPublicKey } from './public-key.js';
import { connectClaims, subscriptionClaims, type ConnectClaims, type Subscriber, type SubscriptionClaims } from './token-claims.js';
import { DisconnectCode, DisconnectError, ErrorCode, ProtocolError } from '../protocol/index.js';

export interface TokenVerifierOptions {
  /** HMAC secret (SUPERNOVA_TOKEN_HMAC_SECRET): HS256, HS384, HS512. */
  hmacSecret?: string | undefined;
  /** A static RSA, EC or Ed25519 public key (SUPERNOVA_TOKEN_PUBLIC_KEY), loaded by loadPublicKey. */
  publicKey?: TokenPublicKey | undefined;
  /** A remote key set (SUPERNOVA_TOKEN_JWKS_URL). */
  jwks?: JwksOptions | undefined;
  /** When set, a token must carry this `aud` (SUPERNOVA_TOKEN_AUDIENCE). */
  audience?: string | undefined;
  /** When set, a token must carry this `iss` (SUPERNOVA_TOKEN_ISSUER). */
  issuer?: string | undefined;
  /** Where a key set that cannot be fetched is reported (counted, logged at most once a period). */
  onError?: (where: string, err: unknown) => void;
}

/** HMAC algorithms the shared secret verifies; never asymmetric ones, whatever a token says. */
const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'];

/**
 * Verifies connection and subscription JWTs (Centrifugo's claims: see token-claims), signed with
 * the HMAC secret (HS256/384/512), a static RSA, EC or Ed25519 public key, or a key of a JWKS
 * endpoint. The token's `alg` picks the key, and only among the algorithms each configured key
 * may verify: `alg: none` is never accepted, an `alg` the key's type does not fit is an invalid
 * token, and an HS* token is checked against the secret alone, never against a public key used
 * as an HMAC secret.
 *
 * An expired token is error 109 so the SDK fetches a new one; a key set that cannot be fetched is
 * error 100 (temporary: the SDK retries later); any other bad token is disconnect 3500.
 */
export class TokenVerifier {
  private readonly hmacKey: Uint8Array | undefined;
  private readonly publicKey: TokenPublicKey | undefined;
  private readonly jwks: JwksKeySource | undefined;
  private readonly algorithms: string[];
  private readonly claims: { audience?: string; issuer?: string };
  private readonly onError: (where: string, err: unknown) => void;

  constructor(opts: TokenVerifierOptions) {
    if (opts.publicKey && opts.jwks) throw new Error('a static public key and a JWKS endpoint are exclusive');
    this.hmacKey = opts.hmacSecret === undefined ? undefined : new TextEncoder().encode(opts.hmacSecret);
    this.publicKey = opts.publicKey;
    this.jwks = opts.jwks ? new JwksKeySource(opts.jwks) : undefined;
    this.algorithms = [
      ...(this.hmacKey ? HMAC_ALGORITHMS : []),
      ...(this.publicKey?.algorithms ?? []),
      ...(this.jwks ? JWKS_ALGORITHMS : []),
    ];
    this.claims = { ...(opts.audience === undefined ? {} : { audience: opts.audience }), ...(opts.issuer === undefined ? {} : { issuer: opts.issuer }) };
    this.onError = opts.onError ?? (() => {});
  }

  get enabled(): boolean {
    return this.algorithms.length > 0;
  }

  async verifyConnect(token: string): Promise<ConnectClaims> {
    return connectClaims(await this.verify(token));
  }

  async verifySubscription(token: string, channel: string, subscriber: Subscriber): Promise<SubscriptionClaims> {
    return subscriptionClaims(await this.verify(token), channel, subscriber);
  }

  private async verify(token: string): Promise<JWTPayload> {
    if (!this.enabled) throw new DisconnectError(DisconnectCode.InvalidToken, 'invalid token: tokens are not enabled (set SUPERNOVA_TOKEN_HMAC_SECRET, SUPERNOVA_TOKEN_PUBLIC_KEY or SUPERNOVA_TOKEN_JWKS_URL)');
    try {
      const { payload } = await jwtVerify(token, this.keyFor, { algorithms: this.algorithms, ...this.claims });
      return payload;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new ProtocolError(ErrorCode.TokenExpired);
      // As in Centrifugo, a token not valid yet (`nbf` ahead) is expired too: the SDK fetches another.
      if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'nbf' && err.reason === 'check_failed') throw new ProtocolError(ErrorCode.TokenExpired, 'token not valid yet (nbf)');
      if (err instanceof JwksUnavailableError) {
        this.onError('token-jwks', err);
        throw new ProtocolError(ErrorCode.Internal, err.message);
      }
      throw new DisconnectError(DisconnectCode.InvalidToken, `invalid token: ${(err as Error).message}`);
    }
  }

  /** The key of the token's algorithm family; jose has already refused an algorithm outside `algorithms`. */
  private readonly keyFor = async (header: JWTHeaderParameters, token: FlattenedJWSInput): Promise<Uint8Array | KeyObject | CryptoKey> => {
    if (HMAC_ALGORITHMS.includes(header.alg)) {
      if (this.hmacKey) return this.hmacKey;
    } else if (this.publicKey?.algorithms.includes(header.alg)) {
      return this.publicKey.key;
    } else if (this.jwks && JWKS_ALGORITHMS.includes(header.alg)) {
      return this.jwks.key(header, token);
    }
    throw new joseErrors.JOSEAlgNotAllowed(`"alg" (Algorithm) Header Parameter value not allowed: ${header.alg}`);
  };
}
