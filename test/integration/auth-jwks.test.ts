import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT, type JWK, type CryptoKey } from 'jose';
import { startEngine, type TestEngine } from '../support/engine.js';
import { connected, sdkClient, subscribed, until } from '../support/client.js';
import { RawSocket } from '../support/raw-socket.js';

interface SigningKey { kid: string; alg: 'RS256' | 'ES256'; privateKey: CryptoKey; jwk: JWK; pem: string }

async function signingKey(kid: string, alg: 'RS256' | 'ES256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }, pem: await exportSPKI(publicKey) };
}

function sign(key: SigningKey, claims: Record<string, unknown>, expSeconds = 60, kid: string | undefined = key.kid): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, ...(kid === undefined ? {} : { kid }) })
    .setExpirationTime(Math.floor(Date.now() / 1000) + expSeconds).sign(key.privateKey);
}

/** A JWKS endpoint on a local port, whose key set a test changes, and which can misbehave. */
class JwksServer {
  keys: JWK[] = [];
  fetches = 0;
  mode: 'ok' | 'hang' | 'huge' | 'garbage' | 'error' = 'ok';
  private readonly server: Server;
  private readonly hanging: ServerResponse[] = [];
  constructor() {
    this.server = createServer((_req, res) => {
      this.fetches++;
      if (this.mode === 'hang') { this.hanging.push(res); return; }
      if (this.mode === 'error') { res.writeHead(503).end('down'); return; }
      if (this.mode === 'garbage') { res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys": ['); return; }
      if (this.mode === 'huge') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"keys":[],"pad":"');
        res.end(`${'x'.repeat(2 * 1024 * 1024)}"}`);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: this.keys }));
    });
  }
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/jwks.json`;
  }
  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Connects with a raw socket and returns the connect reply, or the close code. */
async function rawConnect(t: TestEngine, token: string): Promise<{ reply?: Record<string, unknown>; closed?: number; reason?: string; ms: number }> {
  const s = new RawSocket(t.url);
  await s.opened;
  const started = Date.now();
  s.send({ id: 1, connect: { token } });
  const out = await Promise.race([
    s.reply(1, 10_000).then((reply) => ({ reply })),
    s.closed.then((closed) => ({ closed, reason: s.closeReason })),
  ]);
  s.close();
  return { ...out, ms: Date.now() - started };
}

const COOLDOWN_MS = 300;
const CACHE_MAX_AGE_MS = 1_500;

describe('JWTs verified by a JWKS endpoint', () => {
  const jwks = new JwksServer();
  let t: TestEngine;
  let rsa: SigningKey;
  let ec: SigningKey;

  beforeAll(async () => {
    rsa = await signingKey('rsa-1', 'RS256');
    ec = await signingKey('ec-1', 'ES256');
    jwks.keys = [rsa.jwk, ec.jwk];
    const url = await jwks.start();
    t = await startEngine({
      tokenJwksUrl: url, tokenJwksCooldownMs: COOLDOWN_MS, tokenJwksCacheMaxAgeMs: CACHE_MAX_AGE_MS, tokenJwksTimeoutMs: 500,
      allowAnonymous: false, expiredCloseDelayMs: 1000,
    });
  });
  afterAll(async () => {
    await t?.stop();
    await jwks.stop();
  });

  it('the SDK connects with an RS256 token and subscribes with an ES256 subscription token', async () => {
    const c = sdkClient(t.url, { token: await sign(rsa, { sub: '42' }) });
    await connected(c);
    const sub = await subscribed(c, 'private:desk', { token: await sign(ec, { sub: '42', channel: 'private:desk' }) });
    expect(sub.state).toBe('subscribed');
    const got: unknown[] = [];
    sub.on('publication', (ctx) => got.push(ctx.data));
    await t.engine.publish('private:desk', { px: 1 });
    await until(() => got.length === 1, 'publication');
    c.disconnect();
  });

  it('the SDK refreshes connection and subscription tokens through getToken', async () => {
    let connRefreshes = 0;
    let subRefreshes = 0;
    const c = sdkClient(t.url, {
      token: await sign(ec, { sub: '7' }, 2),
      getToken: async () => { connRefreshes++; return sign(rsa, { sub: '7' }, 60); },
    });
    const drops: number[] = [];
    c.on('connecting', (ctx) => drops.push(ctx.code));
    await connected(c);
    const sub = await subscribed(c, 'private:r', {
      token: await sign(rsa, { sub: '7', channel: 'private:r' }, 2),
      getToken: async () => { subRefreshes++; return sign(ec, { sub: '7', channel: 'private:r' }, 60); },
    });
    await until(() => connRefreshes >= 1 && subRefreshes >= 1, 'both refreshes', 6000);
    await new Promise((r) => setTimeout(r, 2500));
    expect(c.state).toBe('connected');
    expect(sub.state).toBe('subscribed');
    expect(drops).toEqual([0]);
    c.disconnect();
  });

  it('rotation: a new key is taken at its first token (refetch on an unknown kid), a removed one is refused once the cache ages', async () => {
    await new Promise((r) => setTimeout(r, COOLDOWN_MS + 50));
    const next = await signingKey('rsa-2', 'RS256');
    const before = jwks.fetches;
    jwks.keys = [next.jwk, ec.jwk];
    const c = sdkClient(t.url, { token: await sign(next, { sub: 'r' }) });
    await connected(c);
    c.disconnect();
    expect(jwks.fetches).toBe(before + 1);

    // rsa-1 is gone from the set, but the set fetched just now is fresh: a kid it lacks refetches
    // only after the cooldown, and then the removed key is refused.
    await new Promise((r) => setTimeout(r, COOLDOWN_MS + 50));
    const old = await rawConnect(t, await sign(rsa, { sub: 'r' }));
    expect(old.closed).toBe(3500);
    expect(old.reason).toMatch(/no applicable key found/i);
    jwks.keys = [ec.jwk];
    await new Promise((r) => setTimeout(r, CACHE_MAX_AGE_MS + 50));
    // rsa-2 was in the cached set; once it ages, the set is fetched again and rsa-2 is gone too.
    const aged = await rawConnect(t, await sign(next, { sub: 'r' }));
    expect(aged.closed).toBe(3500);
  });

  it('made-up kids cost at most one fetch per cooldown', async () => {
    await new Promise((r) => setTimeout(r, COOLDOWN_MS + 50));
    const stranger = await signingKey('nobody', 'ES256');
    const before = jwks.fetches;
    const results = await Promise.all(Array.from({ length: 20 }, async (_, i) => rawConnect(t, await sign(stranger, { sub: 'x' }, 60, `forged-${i}`))));
    expect(results.every((r) => r.closed === 3500)).toBe(true);
    expect(jwks.fetches - before).toBeLessThanOrEqual(1);
  });

  describe('algorithms are pinned', () => {
    it('alg none is refused', async () => {
      const unsecured = new UnsecuredJWT({ sub: '1' }).setExpirationTime('1m').encode();
      const r = await rawConnect(t, unsecured);
      expect(r.closed).toBe(3500);
    });

    it('HS256 signed with the public key as the secret is refused', async () => {
      for (const secret of [ec.pem, JSON.stringify(ec.jwk)]) {
        const forged = await new SignJWT({ sub: '1' }).setProtectedHeader({ alg: 'HS256', kid: ec.kid }).setExpirationTime('1m').sign(new TextEncoder().encode(secret));
        const r = await rawConnect(t, forged);
        expect(r.closed).toBe(3500);
        expect(r.reason).toMatch(/alg/i);
      }
    });

    it('a token signed by another key under a known kid is refused', async () => {
      const impostor = await signingKey(ec.kid, 'ES256');
      const r = await rawConnect(t, await sign(impostor, { sub: '1' }));
      expect(r.closed).toBe(3500);
      expect(r.reason).toMatch(/signature/);
    });

    it('an ES256 token claiming an RSA key (kid of one, alg of the other) is refused', async () => {
      const token = await new SignJWT({ sub: '1' }).setProtectedHeader({ alg: 'ES256', kid: 'ec-1' }).setExpirationTime('1m').sign(ec.privateKey);
      // Accepted as it is (ES256, ec-1); claiming rsa-2's kid with ES256 does not match that RSA JWK.
      const [, ...rest] = token.split('.');
      const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'rsa-2' })).toString('base64url');
      const r = await rawConnect(t, [header, ...rest].join('.'));
      expect(r.closed).toBe(3500);
    });
  });
});

describe('a JWKS endpoint that does not serve', () => {
  const jwks = new JwksServer();
  let t: TestEngine;
  let key: SigningKey;
  const TIMEOUT_MS = 400;

  beforeAll(async () => {
    key = await signingKey('k', 'ES256');
    const url = await jwks.start();
    t = await startEngine({ tokenJwksUrl: url, tokenJwksTimeoutMs: TIMEOUT_MS, tokenJwksCooldownMs: 0, allowAnonymous: false });
  });
  afterAll(async () => {
    await t?.stop();
    await jwks.stop();
  });

  it('a hanging endpoint: connect gets temporary error 100 after the timeout, not a hang', async () => {
    jwks.mode = 'hang';
    const r = await rawConnect(t, await sign(key, { sub: '1' }));
    expect(r.reply?.error).toMatchObject({ code: 100, temporary: true });
    expect((r.reply?.error as { message: string }).message).toMatch(/JWKS endpoint .* timed out/);
    expect(r.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(r.ms).toBeLessThan(TIMEOUT_MS + 1500);
    const metrics = await (await fetch(`${t.http}/metrics`)).text();
    expect(metrics).toMatch(/supernova_internal_errors_total\{where="token-jwks"\} [1-9]/);
  });

  it('the SDK keeps retrying while the endpoint is down and connects once it serves', async () => {
    jwks.mode = 'error';
    const c = sdkClient(t.url, { token: await sign(key, { sub: '1' }) });
    const errors: number[] = [];
    c.on('error', (ctx) => errors.push(ctx.error.code));
    const done = connected(c);
    await until(() => errors.length >= 2, 'two failed attempts');
    expect(errors.every((code) => code === 100)).toBe(true);
    expect(c.state).toBe('connecting');
    jwks.keys = [key.jwk];
    jwks.mode = 'ok';
    await done;
    c.disconnect();
  });

  it.each([
    ['huge', /more than 1048576 bytes/],
    ['garbage', /not JSON/],
    ['error', /HTTP 503/],
  ] as const)('a %s answer is error 100 naming the problem', async (mode, message) => {
    jwks.mode = mode;
    // A kid not in the set just fetched: forces a fetch (cooldown 0).
    const r = await rawConnect(t, await sign(key, { sub: '1' }, 60, `new-${mode}`));
    expect(r.reply?.error).toMatchObject({ code: 100 });
    expect((r.reply?.error as { message: string }).message).toMatch(message);
  });

  it('an endpoint nobody listens on is error 100 with the reason', async () => {
    const gone = await startEngine({ tokenJwksUrl: 'http://127.0.0.1:1/jwks.json', tokenJwksTimeoutMs: TIMEOUT_MS, allowAnonymous: false });
    try {
      const r = await rawConnect(gone, await sign(key, { sub: '1' }));
      expect(r.reply?.error).toMatchObject({ code: 100 });
      expect((r.reply?.error as { message: string }).message).toMatch(/ECONNREFUSED|fetch failed/);
    } finally {
      await gone.stop();
    }
  });
});

describe('JWTs verified by a static public key', () => {
  let rsa: SigningKey;
  let ec: SigningKey;
  let both: TestEngine;
  let ecOnly: TestEngine;
  const SECRET = 'hmac-secret-that-is-long-enough';

  beforeAll(async () => {
    rsa = await signingKey('unused', 'RS256');
    ec = await signingKey('unused', 'ES256');
    // The HMAC secret next to the RSA key: HS256 tokens must still be checked against the secret only.
    both = await startEngine({ tokenPublicKey: rsa.pem, tokenHmacSecret: SECRET, allowAnonymous: false });
    ecOnly = await startEngine({ tokenPublicKey: ec.pem.replace(/\n/g, '\\n'), allowAnonymous: false, tokenAudience: 'desk', tokenIssuer: 'idp' });
  });
  afterAll(async () => {
    await both?.stop();
    await ecOnly?.stop();
  });

  it('RS256 (no kid) and HS256 tokens both connect with the SDK', async () => {
    for (const token of [
      await sign(rsa, { sub: '1' }, 60, undefined),
      await new SignJWT({ sub: '1' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1m').sign(new TextEncoder().encode(SECRET)),
    ]) {
      const c = sdkClient(both.url, { token });
      await connected(c);
      c.disconnect();
    }
  });

  it('HS256 signed with the PEM of the public key is refused even where HS256 is allowed', async () => {
    const forged = await new SignJWT({ sub: '1' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1m').sign(new TextEncoder().encode(rsa.pem));
    const r = await rawConnect(both, forged);
    expect(r.closed).toBe(3500);
    expect(r.reason).toMatch(/signature/);
  });

  it('an EC key verifies ES256 only, with the audience and issuer required', async () => {
    const ok = await sign(ec, { sub: '2', aud: 'desk', iss: 'idp' }, 60, undefined);
    const c = sdkClient(ecOnly.url, { token: ok });
    await connected(c);
    c.disconnect();
    expect((await rawConnect(ecOnly, await sign(rsa, { sub: '2', aud: 'desk', iss: 'idp' }, 60, undefined))).closed).toBe(3500);
    expect((await rawConnect(ecOnly, await sign(ec, { sub: '2', aud: 'other', iss: 'idp' }, 60, undefined))).reason).toMatch(/aud/);
    expect((await rawConnect(ecOnly, await sign(ec, { sub: '2', aud: 'desk' }, 60, undefined))).reason).toMatch(/iss/);
    const hs = await new SignJWT({ sub: '2', aud: 'desk', iss: 'idp' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1m').sign(new TextEncoder().encode(ec.pem));
    expect((await rawConnect(ecOnly, hs)).closed).toBe(3500);
  });

  it('an expired RS256 token is error 109, and the SDK gets a fresh one', async () => {
    const r = await rawConnect(both, await sign(rsa, { sub: '3' }, -10, undefined));
    expect(r.reply?.error).toMatchObject({ code: 109 });
    let calls = 0;
    const c = sdkClient(both.url, { token: await sign(rsa, { sub: '3' }, -10, undefined), getToken: async () => { calls++; return sign(rsa, { sub: '3' }, 60, undefined); } });
    await connected(c);
    expect(calls).toBe(1);
    c.disconnect();
  });
});
