import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, SignJWT, type JWK } from 'jose';
import { startEngine, type TestEngine } from '../support/engine.js';
import { connected, sdkClient } from '../support/client.js';
import { RawSocket } from '../support/raw-socket.js';

type KeyKind = 'rsa' | 'P-256' | 'P-384' | 'P-521' | 'ed25519';
interface Pair { kind: KeyKind; privateKey: KeyObject; publicKey: KeyObject; pem: string }

function pair(kind: KeyKind): Pair {
  const { privateKey, publicKey } = kind === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : kind === 'ed25519' ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: kind });
  return { kind, privateKey, publicKey, pem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** What each key type verifies; every other algorithm must be refused with it. */
const FITS: Record<KeyKind, string[]> = {
  'rsa': ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
  'P-256': ['ES256'],
  'P-384': ['ES384'],
  'P-521': ['ES512'],
  'ed25519': ['EdDSA', 'Ed25519'],
};
const KINDS = Object.keys(FITS) as KeyKind[];

function sign(alg: string, key: KeyObject | Uint8Array, claims: Record<string, unknown> = { sub: 'u' }, kid?: string): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, ...(kid === undefined ? {} : { kid }) }).setExpirationTime('1m').sign(key);
}

async function sdkConnects(t: TestEngine, token: string): Promise<void> {
  const c = sdkClient(t.url, { token });
  try {
    await connected(c);
  } finally {
    c.disconnect();
  }
}

async function refusal(t: TestEngine, token: string): Promise<{ code: number; reason: string }> {
  const s = new RawSocket(t.url);
  await s.opened;
  s.send({ id: 1, connect: { token } });
  const code = await s.closed;
  return { code, reason: s.closeReason };
}

/** The token with another protected header: its signature is of the original header, so nothing may verify it. */
function relabel(token: string, header: Record<string, unknown>): string {
  const [, payload, signature] = token.split('.');
  return [Buffer.from(JSON.stringify(header)).toString('base64url'), payload, signature].join('.');
}

describe('HMAC secret: HS256, HS384, HS512', () => {
  const SECRET = 'an-hmac-secret-of-sixty-four-bytes-so-hs512-has-its-full-length!';
  const key = new TextEncoder().encode(SECRET);
  let t: TestEngine;
  beforeAll(async () => { t = await startEngine({ tokenHmacSecret: SECRET, allowAnonymous: false }); });
  afterAll(async () => { await t?.stop(); });

  it.each(['HS256', 'HS384', 'HS512'])('the SDK connects with %s', async (alg) => {
    await sdkConnects(t, await sign(alg, key));
  });

  it('an asymmetric alg is refused with 3500 when only a secret is set, and the engine keeps serving', async () => {
    const rsa = pair('rsa');
    const ed = pair('ed25519');
    for (const token of [await sign('RS256', rsa.privateKey), await sign('PS512', rsa.privateKey), await sign('EdDSA', ed.privateKey)]) {
      const r = await refusal(t, token);
      expect(r.code).toBe(3500);
      expect(r.reason).toMatch(/alg/i);
    }
    // An HS384 signature presented as HS512 does not verify.
    const r = await refusal(t, relabel(await sign('HS384', key), { alg: 'HS512' }));
    expect(r).toMatchObject({ code: 3500, reason: expect.stringMatching(/signature/) });
    await sdkConnects(t, await sign('HS512', key));
  });
});

describe('a static public key verifies the algorithms of its type only', () => {
  const pairs = Object.fromEntries(KINDS.map((k) => [k, pair(k)])) as Record<KeyKind, Pair>;
  const engines: Partial<Record<KeyKind, TestEngine>> = {};
  beforeAll(async () => {
    for (const kind of KINDS) engines[kind] = await startEngine({ tokenPublicKey: pairs[kind].pem, allowAnonymous: false });
  });
  afterAll(async () => {
    for (const t of Object.values(engines)) await t?.stop();
  });

  it.each(KINDS.flatMap((kind) => FITS[kind].map((alg) => [kind, alg] as const)))('a %s key: the SDK connects with %s', async (kind, alg) => {
    await sdkConnects(engines[kind] as TestEngine, await sign(alg, pairs[kind].privateKey));
  });

  it.each(KINDS)('a %s key: tokens of every other key type are 3500, and the engine serves on', async (kind) => {
    const t = engines[kind] as TestEngine;
    for (const other of KINDS.filter((k) => k !== kind)) {
      const token = await sign(FITS[other][0] as string, pairs[other].privateKey);
      const r = await refusal(t, token);
      expect(r.code, `${other} token on a ${kind} key`).toBe(3500);
    }
    // Signed by the right key with one algorithm, labelled as another the key type also fits: the signature fails.
    if (kind === 'rsa') {
      const r = await refusal(t, relabel(await sign('RS256', pairs.rsa.privateKey), { alg: 'PS256' }));
      expect(r).toMatchObject({ code: 3500, reason: expect.stringMatching(/signature/) });
    }
    // Labelled with an alg the key's type does not fit: refused before any key is used.
    const wrong = kind === 'rsa' ? 'ES256' : 'RS256';
    const r = await refusal(t, relabel(await sign(FITS[kind][0] as string, pairs[kind].privateKey), { alg: wrong }));
    expect(r).toMatchObject({ code: 3500, reason: expect.stringMatching(/alg/i) });
    await sdkConnects(t, await sign(FITS[kind][0] as string, pairs[kind].privateKey));
  });
});

describe('a JWKS endpoint verifies every algorithm its key types allow', () => {
  const pairs = Object.fromEntries(KINDS.map((k) => [k, pair(k)])) as Record<KeyKind, Pair>;
  /** An RSA key the set pins to RS256 with its `alg`: PS256 tokens under its kid find no key. */
  const pinned = pair('rsa');
  let server: Server;
  let t: TestEngine;

  beforeAll(async () => {
    const keys: JWK[] = [];
    for (const kind of KINDS) keys.push({ ...(await exportJWK(pairs[kind].publicKey)), kid: kind, use: 'sig' });
    keys.push({ ...(await exportJWK(pinned.publicKey)), kid: 'pinned', alg: 'RS256', use: 'sig' });
    server = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys })); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t = await startEngine({ tokenJwksUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`, tokenJwksCooldownMs: 0, allowAnonymous: false });
  });
  afterAll(async () => {
    await t?.stop();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve());
  });

  it.each(KINDS.flatMap((kind) => FITS[kind].map((alg) => [alg, kind] as const)))('the SDK connects with %s (a %s JWK)', async (alg, kind) => {
    await sdkConnects(t, await sign(alg, pairs[kind].privateKey, { sub: 'u' }, kind));
  });

  it('an alg that does not fit the key its kid names is 3500, and the engine serves on', async () => {
    const cases: [string, KeyKind, string][] = [
      // [alg the token is signed and labelled with, key that signs it, kid it names]
      ['ES512', 'P-521', 'P-256'],
      ['ES256', 'P-256', 'P-384'],
      ['EdDSA', 'ed25519', 'rsa'],
      ['PS256', 'rsa', 'ed25519'],
      ['RS256', 'rsa', 'P-256'],
    ];
    for (const [alg, signer, kid] of cases) {
      const r = await refusal(t, await sign(alg, pairs[signer].privateKey, { sub: 'u' }, kid));
      expect(r.code, `${alg} under kid ${kid}`).toBe(3500);
    }
    const pss = await refusal(t, await sign('PS256', pinned.privateKey, { sub: 'u' }, 'pinned'));
    expect(pss).toMatchObject({ code: 3500, reason: expect.stringMatching(/no applicable key/i) });
    // HMAC is never a key set's: an HS256 token is refused even with the JWK's bytes as the secret.
    const hs = await refusal(t, await sign('HS256', new TextEncoder().encode(JSON.stringify(await exportJWK(pairs.rsa.publicKey))), { sub: 'u' }, 'rsa'));
    expect(hs).toMatchObject({ code: 3500, reason: expect.stringMatching(/alg/i) });
    await sdkConnects(t, await sign('RS256', pinned.privateKey, { sub: 'u' }, 'pinned'));
  });
});
