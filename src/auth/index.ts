export { TokenVerifier, type TokenVerifierOptions } from './token-verifier.js';
export type { ConnectClaims, ServerSubscription, SubscribeOverride, Subscriber, SubscriptionClaims } from './token-claims.js';
export { loadPublicKey, PublicKeyError, type TokenPublicKey } from './public-key.js';
export { JwksUnavailableError, JWKS_MAX_BYTES, JWKS_MAX_KEYS, type JwksOptions } from './jwks-key-source.js';
export { tokenVerifierFrom } from './verifier-from-config.js';
