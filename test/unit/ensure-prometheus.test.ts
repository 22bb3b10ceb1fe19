import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { prometheusInstalled } from '../support/prometheus.js';

/** `npm test`'s pretest step for promtool and prometheus, run as npm runs it, where they are installed (it installs nothing then). */
const root = fileURLToPath(new URL('../../', import.meta.url));

describe.skipIf(!prometheusInstalled())('pretest: the Prometheus the deployment tests need', () => {
  it('says nothing and succeeds when promtool and prometheus are there', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/support/ensure-prometheus.ts'], { cwd: root, encoding: 'utf8' });
    expect({ status: r.status, out: r.stdout + r.stderr }).toEqual({ status: 0, out: '' });
  });
});
