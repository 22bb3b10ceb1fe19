import { createRemoteJWKSet, customFetch, errors as joseErrors, type FetchImplementation, type JWTHeaderParameters, type FlattenedJWSInput, type KeyObject, type CryptoKey } from 'jose';

/** A key set is a few KiB; these bound what a misbehaving endpoint can make the engine hold. */
export const JWKS_MAX_BYTES = 1024 * 1024;
export const JWKS_MAX_KEYS = 100;

export interface JwksOptions {
  url: string;
  /** Longest one fetch may take, body included; a connect waiting on it gets error 100 past it. */
  timeoutMs: number;
  /** After a fetch, a token with an unknown `kid` triggers no new one for this long. */
  cooldownMs: number;
  /** A key set older than this is fetched again before it is used. */
  cacheMaxAgeMs: number;
}

/**
 * The key set's endpoint did not give a usable set (unreachable, timed out, not 200, not a key
 * set, too large): the server's problem, not the token's, so the client may retry.
 */
export class JwksUnavailableError extends Error {
  readonly code = 'JWKS_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JwksUnavailableError';
  }
}

/**
 * JWS algorithms a key set may verify: RSA, EC and Ed25519 (OKP) keys, never HMAC (a JWK `oct`
 * key is refused). jose matches the token's `alg` to a key of its type (and curve), so an ES512
 * token finds no P-256 key and a PS256 token no EC key.
 */
export const JWKS_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

type KeyResolver = (header: JWTHeaderParameters, token: FlattenedJWSInput) => Promise<KeyObject | CryptoKey>;

/**
 * A remote JSON Web Key Set (jose's createRemoteJWKSet): fetched once and cached, fetched again
 * when older than cacheMaxAge, or when a token names a `kid` the set lacks and the last fetch is
 * older than the cooldown (so a new key is picked up at its first token, and tokens with made-up
 * kids cost at most one fetch per cooldown). Concurrent lookups share one fetch.
 */
export class JwksKeySource {
  private readonly resolve: KeyResolver;
  private readonly url: string;

  constructor(opts: JwksOptions) {
    this.url = opts.url;
    const set = createRemoteJWKSet(new URL(opts.url), {
      timeoutDuration: opts.timeoutMs,
      cooldownDuration: opts.cooldownMs,
      cacheMaxAge: opts.cacheMaxAgeMs,
      [customFetch]: boundedFetch,
    });
    this.resolve = set as KeyResolver;
  }

  /**
   * The key for this token. A kid the set does not hold (or holds twice) is the token's fault and
   * stays a jose error; any failure to get the set is a JwksUnavailableError.
   */
  async key(header: JWTHeaderParameters, token: FlattenedJWSInput): Promise<KeyObject | CryptoKey> {
    try {
      return await this.resolve(header, token);
    } catch (err) {
      if (err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JWKSMultipleMatchingKeys) throw err;
      const why = err instanceof joseErrors.JWKSTimeout ? 'timed out' : describe(err);
      throw new JwksUnavailableError(`token keys unavailable: the JWKS endpoint ${this.url} ${why}`, { cause: err });
    }
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  // fetch's own message is "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND) is in its cause.
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return `failed (${err.message}${detail})`;
}

/** fetch with the body read up to JWKS_MAX_BYTES, and a set of at most JWKS_MAX_KEYS keys. */
const boundedFetch: FetchImplementation = async (url, init) => {
  const res = await fetch(url, init);
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > JWKS_MAX_BYTES) {
    await res.body?.cancel();
    throw new Error(`answered ${declared} bytes; a key set is at most ${JWKS_MAX_BYTES}`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (res.body) {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > JWKS_MAX_BYTES) {
        await reader.cancel();
        throw new Error(`answered more than ${JWKS_MAX_BYTES} bytes; a key set is at most that`);
      }
      chunks.push(value);
    }
  }
  const body = Buffer.concat(chunks);
  if (res.status !== 200) throw new Error(`answered HTTP ${res.status}`);
  let keys: unknown;
  try {
    keys = (JSON.parse(body.toString('utf8')) as { keys?: unknown } | null)?.keys;
  } catch {
    throw new Error('answered a body that is not JSON');
  }
  if (!Array.isArray(keys)) throw new Error('answered JSON without a "keys" array');
  if (keys.length > JWKS_MAX_KEYS) throw new Error(`answered ${keys.length} keys; at most ${JWKS_MAX_KEYS}`);
  return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
};
