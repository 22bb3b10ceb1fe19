import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redisServerInstalled } from '../support/redis-server.js';

/**
 * `npm test`'s pretest step for redis-server (test/support/ensure-redis-server.ts), run as npm
 * runs it. Only the branches that install nothing are run: binaries present, and binaries missing
 * on a PATH without apt-get (a directory holding only node).
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const installed = redisServerInstalled();

function pretest(env: Record<string, string>): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/support/ensure-redis-server.ts'], {
    cwd: root, encoding: 'utf8', env: { ...process.env, ...env },
  });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('pretest: the redis-server the topology and fault tests start', () => {
  it.skipIf(!installed)('says nothing and succeeds when redis-server and redis-cli are there', () => {
    expect(pretest({})).toEqual({ status: 0, out: '' });
  });

  it('says what is missing, and what follows, without failing npm test', () => {
    const bin = mkdtempSync(join(tmpdir(), 'supernova-path-'));
    try {
      symlinkSync(process.execPath, join(bin, 'node'));
      const local = pretest({ PATH: bin, CI: '' });
      expect(local.status).toBe(0);
      expect(local.out).toMatch(/redis-server and redis-cli missing and this user may not install them.*will be skipped/);
      const ci = pretest({ PATH: bin, CI: 'true' });
      expect(ci.status).toBe(0);
      expect(ci.out).toMatch(/will fail \(CI=true\)/);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
