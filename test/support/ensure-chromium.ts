/**
 * `npm test`'s pretest step. The dashboard test drives Debian's chromium (never a downloaded
 * browser), so when it is missing this installs the `chromium` package with apt-get, if this user
 * may: as root, or through sudo without a password. Otherwise it says what to install and leaves
 * the decision to the test, which skips without a browser, or fails under CI=true. It never fails
 * `npm test` itself: typecheck, lint and every other test still run.
 */
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { chromiumPath, DEBIAN_CHROMIUM } from './chromium.js';

const say = (line: string): void => console.log(`pretest: ${line}`);

/** The command prefix that runs apt-get as root, or undefined when this user may not. */
function asRoot(): string[] | undefined {
  if (process.getuid?.() === 0) return [];
  const sudo = spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' });
  return sudo.status === 0 ? ['sudo', '-n'] : undefined;
}

function run(argv: string[]): boolean {
  const [cmd, ...args] = argv as [string, ...string[]];
  const result = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return result.status === 0;
}

function ensureChromium(): void {
  const path = chromiumPath();
  if (existsSync(path)) return;
  const without = process.env['CI'] === 'true' ? 'the browser test will fail (CI=true)' : 'the browser test will be skipped';
  if (path !== DEBIAN_CHROMIUM) {
    say(`CHROMIUM_PATH=${path} does not exist, and Debian's package would not put it there: ${without}.`);
    return;
  }
  const hasAptGet = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  const prefix = hasAptGet ? asRoot() : undefined;
  if (!prefix) {
    const how = hasAptGet ? 'run `sudo apt-get install -y chromium`' : 'install chromium from your system\'s packages, or set CHROMIUM_PATH to a chromium binary';
    say(`${DEBIAN_CHROMIUM} is missing and this user may not install it: ${how}. Until then ${without}.`);
    return;
  }
  say(`${DEBIAN_CHROMIUM} is missing: installing Debian's chromium package for the browser test.`);
  const installed = run([...prefix, 'apt-get', 'update'])
    && run([...prefix, 'apt-get', 'install', '-y', '--no-install-recommends', 'chromium']);
  if (!installed || !existsSync(DEBIAN_CHROMIUM)) {
    say(`installing chromium failed (see apt-get above): ${without}.`);
  }
}

ensureChromium();
