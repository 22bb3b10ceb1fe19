export { TokenVerifier, type ConnectClaims, type SubscriptionClaims } from './token-verifier.js';
