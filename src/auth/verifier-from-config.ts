import type { SupernovaConfig } from '../config/index.js';
import { loadPublicKey } from './public-key.js';
import { TokenVerifier } from './token-verifier.js';

type TokenConfig = Pick<SupernovaConfig, 'tokenHmacSecret' | 'tokenPublicKey' | 'tokenJwksUrl' | 'tokenJwksTimeoutMs' | 'tokenJwksCooldownMs' | 'tokenJwksCacheMaxAgeMs' | 'tokenAudience' | 'tokenIssuer'>;

/** The verifier of the configured keys (loadConfig has checked that they load). */
export function tokenVerifierFrom(config: TokenConfig, onError: (where: string, err: unknown) => void): TokenVerifier {
  return new TokenVerifier({
    hmacSecret: config.tokenHmacSecret,
    publicKey: config.tokenPublicKey === undefined ? undefined : loadPublicKey(config.tokenPublicKey),
    jwks: config.tokenJwksUrl === undefined ? undefined : {
      url: config.tokenJwksUrl, timeoutMs: config.tokenJwksTimeoutMs, cooldownMs: config.tokenJwksCooldownMs, cacheMaxAgeMs: config.tokenJwksCacheMaxAgeMs,
    },
    audience: config.tokenAudience,
    issuer: config.tokenIssuer,
    onError,
  });
}
