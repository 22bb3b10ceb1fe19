/**
 * `npm test`'s pretest step. The dashboard test drives Debian's chromium (never a downloaded
 * browser), so when it is missing this installs the `chromium` package with apt-get, if this user
 * may: as root, or through sudo without a password. Otherwise it says what to install and leaves
 * the decision to the test, which skips without a browser, or fails under CI=true. It never fails
 * `npm test` itself: typecheck, lint and every other test still run.
 */
import { existsSync } from 'node:fs';
import { aptAccess, aptInstall, say } from './apt-get.js';
import { chromiumPath, DEBIAN_CHROMIUM } from './chromium.js';

function ensureChromium(): void {
  const path = chromiumPath();
  if (existsSync(path)) return;
  const without = process.env['CI'] === 'true' ? 'the browser test will fail (CI=true)' : 'the browser test will be skipped';
  if (path !== DEBIAN_CHROMIUM) {
    say(`CHROMIUM_PATH=${path} does not exist, and Debian's package would not put it there: ${without}.`);
    return;
  }
  const access = aptAccess();
  if ('denied' in access) {
    const how = access.denied === 'not root' ? 'run `sudo apt-get install -y chromium`' : 'install chromium from your system\'s packages, or set CHROMIUM_PATH to a chromium binary';
    say(`${DEBIAN_CHROMIUM} is missing and this user may not install it: ${how}. Until then ${without}.`);
    return;
  }
  say(`${DEBIAN_CHROMIUM} is missing: installing Debian's chromium package for the browser test.`);
  if (!aptInstall(access.prefix, ['chromium']) || !existsSync(DEBIAN_CHROMIUM)) {
    say(`installing chromium failed (see apt-get above): ${without}.`);
  }
}

ensureChromium();
