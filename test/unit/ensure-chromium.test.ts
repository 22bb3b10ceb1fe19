import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * `npm test`'s pretest step (test/support/ensure-chromium.ts), run as npm runs it. Only the
 * branches that install nothing are run here: a browser that is present, and one that is missing
 * at a CHROMIUM_PATH Debian's package cannot provide.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));

function pretest(env: Record<string, string>): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/support/ensure-chromium.ts'], {
    cwd: root, encoding: 'utf8', env: { ...process.env, ...env },
  });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('pretest: the browser the dashboard test needs', () => {
  it('says nothing and succeeds when the browser is there', () => {
    expect(pretest({ CHROMIUM_PATH: process.execPath })).toEqual({ status: 0, out: '' });
  });

  it('says what is missing, and what follows, without failing npm test', () => {
    const local = pretest({ CHROMIUM_PATH: '/nonexistent/chromium', CI: '' });
    expect(local.status).toBe(0);
    expect(local.out).toMatch(/CHROMIUM_PATH=\/nonexistent\/chromium does not exist.*the browser test will be skipped/);
    const ci = pretest({ CHROMIUM_PATH: '/nonexistent/chromium', CI: 'true' });
    expect(ci.status).toBe(0);
    expect(ci.out).toMatch(/the browser test will fail \(CI=true\)/);
  });
});
