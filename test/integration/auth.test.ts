import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { startEngine, type TestEngine } from '../support/engine.js';
import { connected, sdkClient, subscribed, until } from '../support/client.js';
import { RawSocket } from '../support/raw-socket.js';

const SECRET = 'test-secret-that-is-long-enough';
const key = new TextEncoder().encode(SECRET);

function token(claims: Record<string, unknown>, expSeconds?: number): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' });
  if (expSeconds !== undefined) jwt.setExpirationTime(Math.floor(Date.now() / 1000) + expSeconds);
  return jwt.sign(key);
}

let t: TestEngine;
// Tokens here live 1-2 s, and exp is whole seconds, so the ttl an SDK is given (exp less the
// current second, as Centrifugo counts it) may end up to 1 s after the real expiry; its refresh
// comes then. The grace (25 s by default) is cut to 3 s so that the 3005 test is quick, with room
// left for that second and a loaded machine: at 1 s, a refresh under load was cut off with 3005.
beforeAll(async () => { t = await startEngine({ tokenHmacSecret: SECRET, allowAnonymous: false, expiredCloseDelayMs: 3000 }); });
afterAll(async () => { await t.stop(); });

describe('connection and subscription JWTs', () => {
  it('a valid token connects as its user', async () => {
    const c = sdkClient(t.url, { token: await token({ sub: '42' }, 60) });
    await connected(c);
    const sub = await subscribed(c, 'user#42');
    expect(sub.state).toBe('subscribed');
    c.disconnect();
  });

  it('without a token an anonymous connection is refused when anonymous is off', async () => {
    const c = sdkClient(t.url);
    // The SDK ends a connect refused as unauthorized without retrying.
    const ctx = await new Promise<{ code: number }>((resolve) => { c.once('disconnected', resolve); c.connect(); });
    expect(ctx.code).toBe(101);
    expect(c.state).toBe('disconnected');
  });

  it('an invalid signature gets disconnect 3500 and no reconnect', async () => {
    const bad = await new SignJWT({ sub: '1' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('another-secret-entirely'));
    const c = sdkClient(t.url, { token: bad });
    const ctx = await new Promise<{ code: number; reason: string }>((resolve) => { c.once('disconnected', resolve); c.connect(); });
    expect(ctx.code).toBe(3500);
    expect(c.state).toBe('disconnected');
  });

  it('an expired token makes the SDK fetch a fresh one through getToken, then connects', async () => {
    let calls = 0;
    const c = sdkClient(t.url, {
      token: await token({ sub: '7' }, -10),
      getToken: async () => { calls++; return token({ sub: '7' }, 60); },
    });
    await connected(c);
    expect(calls).toBe(1);
    c.disconnect();
  });

  it('refresh: a short-lived connection is refreshed by the SDK and stays connected past its first expiry', async () => {
    let refreshes = 0;
    const c = sdkClient(t.url, {
      token: await token({ sub: '9' }, 2),
      getToken: async () => { refreshes++; return token({ sub: '9' }, 60); },
    });
    const drops: number[] = [];
    c.on('connecting', (ctx) => drops.push(ctx.code));
    await connected(c);
    await until(() => refreshes >= 1, 'refresh', 6000);
    await new Promise((r) => setTimeout(r, 2500));
    expect(c.state).toBe('connected');
    expect(drops).toEqual([0]);
    c.disconnect();
  });

  it('a connection that does not refresh is closed with 3005 when its token expires', async () => {
    const s = new RawSocket(t.url);
    await s.opened;
    s.send({ id: 1, connect: { token: await token({ sub: '5' }, 1) } });
    const reply = await s.reply(1);
    expect(reply.connect).toMatchObject({ expires: true });
    expect(await s.closed).toBe(3005);
  });

  it('user-limited channels admit only their user', async () => {
    const c = sdkClient(t.url, { token: await token({ sub: '42' }, 60) });
    await connected(c);
    await expect(subscribed(c, 'user#43')).rejects.toThrow(/103/);
    await expect(subscribed(c, 'user#42')).resolves.toBeDefined();
    c.disconnect();
  });

  it('a namespace that needs a subscription token admits a valid one and refuses without', async () => {
    const c = sdkClient(t.url, { token: await token({ sub: '42' }, 60) });
    await connected(c);
    await expect(subscribed(c, 'private:desk')).rejects.toThrow(/103/);
    const sub = await subscribed(c, 'private:desk2', { token: await token({ sub: '42', channel: 'private:desk2' }, 60) });
    expect(sub.state).toBe('subscribed');
    c.disconnect();
  });

  it('the channels claim subscribes server-side', async () => {
    const c = sdkClient(t.url, { token: await token({ sub: '42', channels: ['user#42'] }, 60) });
    const subs: string[] = [];
    c.on('subscribed', (ctx) => subs.push(ctx.channel));
    const pubs: unknown[] = [];
    c.on('publication', (ctx) => pubs.push(ctx.data));
    await connected(c);
    await until(() => subs.includes('user#42'), 'server-side subscription');
    await t.engine.publish('user#42', { hello: 42 });
    await until(() => pubs.length === 1, 'server-side publication');
    expect(pubs[0]).toEqual({ hello: 42 });
    c.disconnect();
  });

  describe('tokens that are not what they claim', () => {
    async function rawConnect(connectToken: string): Promise<RawSocket> {
      const s = new RawSocket(t.url);
      await s.opened;
      s.send({ id: 1, connect: { token: connectToken } });
      return s;
    }

    it('a connection token whose sub is not a string is disconnect 3500', async () => {
      const s = await rawConnect(await token({ sub: 42 }, 60));
      expect(await s.closed).toBe(3500);
      expect(s.closeReason).toMatch(/sub must be a string/);
    });

    it('a subscription token whose sub is not a string refuses the subscription with 103, as any token that does not verify', async () => {
      // No sub: the user "". A sub of null must not pass for that user.
      const s = await rawConnect(await token({}, 60));
      expect((await s.reply(1)).connect).toBeDefined();
      s.send({ id: 2, subscribe: { channel: 'private:nullsub', token: await token({ sub: null, channel: 'private:nullsub' }, 60) } });
      expect((await s.reply(2)).error).toMatchObject({ code: 103, message: expect.stringMatching(/sub must be a string/) });
      s.send({ id: 3, subscribe: { channel: 'private:nullsub', token: 'not-a-jwt' } });
      expect((await s.reply(3)).error).toMatchObject({ code: 103 });
      expect(s.closeCode).toBeUndefined();
      s.close();
    });

    it('a subscription token (channel claim) is not a connection token, at connect or refresh', async () => {
      const subToken = await token({ sub: '42', channel: 'private:desk' }, 60);
      const atConnect = await rawConnect(subToken);
      expect(await atConnect.closed).toBe(3500);
      expect(atConnect.closeReason).toMatch(/subscription token/);

      const atRefresh = await rawConnect(await token({ sub: '42' }, 60));
      expect((await atRefresh.reply(1)).connect).toBeDefined();
      atRefresh.send({ id: 2, refresh: { token: subToken } });
      expect(await atRefresh.closed).toBe(3500);
      expect(atRefresh.closeReason).toMatch(/subscription token/);
    });
  });
});
