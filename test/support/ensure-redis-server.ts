/**
 * `npm test`'s pretest step for the tests that start their own Redis (topologies, faults): when
 * redis-server or redis-cli is missing, this installs Debian's redis-server package with apt-get
 * if this user may, else says what to install. Like the browser's step it never fails `npm test`:
 * those tests skip without the binaries, or fail under CI=true.
 */
import { aptAccess, aptInstall, say } from './apt-get.js';
import { missingRedisBinaries, REDIS_PACKAGE } from './redis-server.js';

function ensureRedisServer(): void {
  const missing = missingRedisBinaries();
  if (missing.length === 0) return;
  const without = process.env['CI'] === 'true' ? 'the tests that start their own Redis will fail (CI=true)' : 'the tests that start their own Redis will be skipped';
  const access = aptAccess();
  if ('denied' in access) {
    const how = access.denied === 'not root' ? `run \`sudo apt-get install -y ${REDIS_PACKAGE}\`` : 'install Redis 7 (redis-server and redis-cli) from your system\'s packages';
    say(`${missing.join(' and ')} missing and this user may not install them: ${how}. Until then ${without}.`);
    return;
  }
  say(`${missing.join(' and ')} missing: installing Debian's ${REDIS_PACKAGE} package for the Redis topology and fault tests.`);
  if (!aptInstall(access.prefix, [REDIS_PACKAGE]) || missingRedisBinaries().length > 0) {
    say(`installing ${REDIS_PACKAGE} failed (see apt-get above): ${without}.`);
  }
}

ensureRedisServer();
