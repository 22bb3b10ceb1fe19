import { describe, expect, it, afterAll } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/index.js';
import { loadPublicKey } from '../../src/auth/index.js';
import { configProblem } from '../support/config-problem.js';

const pem = (k: ReturnType<typeof generateKeyPairSync>['publicKey']) => k.export({ type: 'spki', format: 'pem' }).toString();
const rsa = pem(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey);
const ec = pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);
const ec384 = pem(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey);
const dir = mkdtempSync(join(tmpdir(), 'supernova-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('token key configuration', () => {
  it('a PEM (text, one line with \\n escapes, or a file) pins the algorithms of its key type', () => {
    expect(loadPublicKey(rsa).algorithms).toEqual(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']);
    expect(loadPublicKey(ec.replace(/\n/g, '\\n')).algorithms).toEqual(['ES256']);
    expect(loadPublicKey(ec384).algorithms).toEqual(['ES384']);
    expect(loadPublicKey(pem(generateKeyPairSync('ec', { namedCurve: 'P-521' }).publicKey)).algorithms).toEqual(['ES512']);
    expect(loadPublicKey(pem(generateKeyPairSync('ed25519').publicKey)).algorithms).toEqual(['EdDSA', 'Ed25519']);
    const file = join(dir, 'ec.pem');
    writeFileSync(file, ec);
    expect(loadConfig({ SUPERNOVA_TOKEN_PUBLIC_KEY: file }).tokenPublicKey).toBe(file);
    expect(loadConfig({}).tokenJwksTimeoutMs).toBe(2000);
  });

  it('a key that cannot be used stops start-up naming the variable', () => {
    expect(configProblem({ SUPERNOVA_TOKEN_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----' })).toMatch(/SUPERNOVA_TOKEN_PUBLIC_KEY: not a PEM public key/);
    expect(configProblem({ SUPERNOVA_TOKEN_PUBLIC_KEY: join(dir, 'missing.pem') })).toMatch(/SUPERNOVA_TOKEN_PUBLIC_KEY: neither PEM text nor a readable file/);
    const notPem = join(dir, 'not.pem');
    writeFileSync(notPem, 'hello');
    expect(configProblem({ SUPERNOVA_TOKEN_PUBLIC_KEY: notPem })).toMatch(/does not hold a PEM key/);
    const big = join(dir, 'big.pem');
    writeFileSync(big, Buffer.alloc(100_000, 0x41));
    expect(configProblem({ SUPERNOVA_TOKEN_PUBLIC_KEY: big })).toMatch(/holds 100000 bytes/);
    const weak = pem(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey);
    expect(configProblem({ SUPERNOVA_TOKEN_PUBLIC_KEY: weak })).toMatch(/RSA key of 1024 bits; at least 2048/);
    const ed448 = pem(generateKeyPairSync('ed448').publicKey);
    expect(configProblem({ SUPERNOVA_TOKEN_PUBLIC_KEY: ed448 })).toMatch(/SUPERNOVA_TOKEN_PUBLIC_KEY: a ed448 key; RSA .*, EC .* and Ed25519 \(EdDSA\) keys are supported/);
    const pss = pem(generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).publicKey);
    expect(configProblem({ SUPERNOVA_TOKEN_PUBLIC_KEY: pss })).toMatch(/SUPERNOVA_TOKEN_PUBLIC_KEY: a rsa-pss key/);
    const k1 = pem(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey);
    expect(configProblem({ SUPERNOVA_TOKEN_PUBLIC_KEY: k1 })).toMatch(/EC key on secp256k1/);
    const priv = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    // node would derive the public half; a signing key has no place in the server's configuration.
    expect(configProblem({ SUPERNOVA_TOKEN_PUBLIC_KEY: priv })).toMatch(/a private key; give its public key/);
  });

  it('a JWKS URL is http(s), exclusive with a static key, and its timeout below the handler timeout', () => {
    expect(configProblem({ SUPERNOVA_TOKEN_JWKS_URL: 'ftp://idp/jwks' })).toMatch(/SUPERNOVA_TOKEN_JWKS_URL="ftp:\/\/idp\/jwks": must be an http/);
    expect(configProblem({ SUPERNOVA_TOKEN_JWKS_URL: 'not a url' })).toMatch(/SUPERNOVA_TOKEN_JWKS_URL/);
    expect(configProblem({ SUPERNOVA_TOKEN_JWKS_URL: 'https://idp/jwks', SUPERNOVA_TOKEN_PUBLIC_KEY: ec })).toMatch(/SUPERNOVA_TOKEN_PUBLIC_KEY: set it or SUPERNOVA_TOKEN_JWKS_URL, not both/);
    expect(configProblem({ SUPERNOVA_TOKEN_JWKS_URL: 'https://idp/jwks', SUPERNOVA_TOKEN_JWKS_TIMEOUT_MS: '5000' })).toMatch(/SUPERNOVA_TOKEN_JWKS_TIMEOUT_MS=5000: must be below SUPERNOVA_HANDLER_TIMEOUT_MS \(5000\)/);
    expect(configProblem({ SUPERNOVA_TOKEN_JWKS_TIMEOUT_MS: 'soon' })).toMatch(/SUPERNOVA_TOKEN_JWKS_TIMEOUT_MS="soon"/);
  });

  it('an audience or issuer with spaces around it or control characters names its variable', () => {
    expect(loadConfig({ SUPERNOVA_TOKEN_AUDIENCE: 'desk', SUPERNOVA_TOKEN_ISSUER: 'https://idp.example/realms/x' })).toMatchObject({ tokenAudience: 'desk', tokenIssuer: 'https://idp.example/realms/x' });
    // Blank is unset, as for every variable.
    expect(loadConfig({ SUPERNOVA_TOKEN_AUDIENCE: '  ' }).tokenAudience).toBeUndefined();
    expect(configProblem({ SUPERNOVA_TOKEN_AUDIENCE: 'desk ' })).toMatch(/SUPERNOVA_TOKEN_AUDIENCE="desk ": a token claim is compared exactly/);
    expect(configProblem({ SUPERNOVA_TOKEN_ISSUER: ' idp' })).toMatch(/SUPERNOVA_TOKEN_ISSUER=" idp": a token claim is compared exactly/);
    expect(configProblem({ SUPERNOVA_TOKEN_ISSUER: 'idp\r' })).toMatch(/SUPERNOVA_TOKEN_ISSUER=.*no control characters/);
    expect(configProblem({ SUPERNOVA_TOKEN_AUDIENCE: 'a\u0000b' })).toMatch(/SUPERNOVA_TOKEN_AUDIENCE=/);
    expect(configProblem({ SUPERNOVA_TOKEN_AUDIENCE: 'x'.repeat(2000) })).toMatch(/SUPERNOVA_TOKEN_AUDIENCE=.*1024/);
  });
});
