/**
 * `npm test`'s pretest step for the deployment tests: `promtool` checks and unit-tests the alert
 * rules, and a real `prometheus` scrapes an engine. Both come with Debian's `prometheus` package:
 * when one is missing this installs it with apt-get if this user may, else says what to install.
 * Like the other steps it never fails `npm test`: those tests skip, or fail under CI=true.
 */
import { existsSync } from 'node:fs';
import { aptAccess, aptInstall, say } from './apt-get.js';
import { PROMETHEUS, PROMTOOL } from './prometheus.js';

const PACKAGE = 'prometheus';
const missingBinaries = () => [PROMTOOL, PROMETHEUS].filter((f) => !existsSync(f));

function ensurePrometheus(): void {
  const missing = missingBinaries();
  if (missing.length === 0) return;
  const without = process.env['CI'] === 'true' ? 'the Prometheus tests will fail (CI=true)' : 'the Prometheus tests will be skipped';
  const access = aptAccess();
  if ('denied' in access) {
    const how = access.denied === 'not root' ? `run \`sudo apt-get install -y ${PACKAGE}\`` : 'install Prometheus (promtool and prometheus) from your system\'s packages';
    say(`${missing.join(' and ')} missing and this user may not install them: ${how}. Until then ${without}.`);
    return;
  }
  say(`${missing.join(' and ')} missing: installing Debian's ${PACKAGE} package for the Prometheus tests.`);
  if (!aptInstall(access.prefix, [PACKAGE]) || missingBinaries().length > 0) {
    say(`installing ${PACKAGE} failed (see apt-get above): ${without}.`);
  }
}

ensurePrometheus();
