import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

/** A PEM file is a few KiB at most (an RSA 8192 key is 1.5 KiB); anything larger is not one. */
const MAX_KEY_FILE_BYTES = 64 * 1024;

/** A public key that cannot be used; `code` is stable, the message says why. */
export class PublicKeyError extends Error {
  readonly code = 'TOKEN_PUBLIC_KEY_INVALID';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PublicKeyError';
  }
}

/** The key tokens are checked against, and the only algorithms it may verify. */
export interface TokenPublicKey {
  key: KeyObject;
  /** Pinned by the key's type: an RSA key verifies RS* and PS*, a P-256 key ES256 only, and so on. */
  algorithms: string[];
  /** What it is, for messages: `rsa 2048`, `ec P-256`, `ed25519`. */
  description: string;
}

/** Curves JWS defines an algorithm for (RFC 7518 3.4): the curve decides it. */
const EC_ALGORITHMS: Record<string, string> = { 'prime256v1': 'ES256', 'P-256': 'ES256', 'secp384r1': 'ES384', 'P-384': 'ES384', 'secp521r1': 'ES512', 'P-521': 'ES512' };
/** An RSA key signs with PKCS#1 v1.5 (RS*) or PSS (PS*) alike; the token's `alg` says which. */
const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
/** `EdDSA` (RFC 8037) and its fully specified name `Ed25519` (RFC 9864) both mean Ed25519 here. */
const ED25519_ALGORITHMS = ['EdDSA', 'Ed25519'];
/** Shorter RSA keys are forgeable with public means; jose refuses them too, but at verify time. */
const MIN_RSA_BITS = 2048;

/**
 * Reads SUPERNOVA_TOKEN_PUBLIC_KEY: PEM text (SPKI `BEGIN PUBLIC KEY`, or an X.509 certificate),
 * or the path of a file holding it. `\n` escapes stand for newlines, as environment files and
 * container specs often carry a PEM on one line.
 */
export function loadPublicKey(value: string): TokenPublicKey {
  const pem = isPem(value) ? value.replace(/\\n/g, '\n') : readKeyFile(value);
  // node derives the public half of a private key; taking it would invite signing keys into the config.
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) throw new PublicKeyError('a private key; give its public key (openssl pkey -pubout)');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new PublicKeyError(`not a PEM public key (${(err as Error).message})`, { cause: err });
  }
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    const bits = details.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) throw new PublicKeyError(`an RSA key of ${bits} bits; at least ${MIN_RSA_BITS}`);
    return { key, algorithms: RSA_ALGORITHMS, description: `rsa ${bits}` };
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = details.namedCurve ?? '';
    const alg = EC_ALGORITHMS[curve];
    if (!alg) throw new PublicKeyError(`an EC key on ${curve || 'an unnamed curve'}; JWTs use P-256 (ES256), P-384 (ES384) or P-521 (ES512)`);
    return { key, algorithms: [alg], description: `ec ${curve}` };
  }
  if (key.asymmetricKeyType === 'ed25519') return { key, algorithms: ED25519_ALGORITHMS, description: 'ed25519' };
  // rsa-pss SPKI keys carry their own hash and salt rules, which JWS's PS* do not always match; Ed448 has no JWS algorithm jose verifies.
  throw new PublicKeyError(`a ${key.asymmetricKeyType ?? 'unknown'} key; RSA (RS*, PS*), EC (ES256, ES384, ES512) and Ed25519 (EdDSA) keys are supported`);
}

function isPem(value: string): boolean {
  return value.trimStart().startsWith('-----BEGIN');
}

function readKeyFile(path: string): string {
  try {
    const size = statSync(path).size;
    if (size > MAX_KEY_FILE_BYTES) throw new PublicKeyError(`${path} holds ${size} bytes; a PEM key is under ${MAX_KEY_FILE_BYTES}`);
    const text = readFileSync(path, 'utf8');
    if (!isPem(text)) throw new PublicKeyError(`${path} does not hold a PEM key (no -----BEGIN line)`);
    return text;
  } catch (err) {
    if (err instanceof PublicKeyError) throw err;
    throw new PublicKeyError(`neither PEM text nor a readable file (${(err as Error).message})`, { cause: err });
  }
}
