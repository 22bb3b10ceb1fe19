import { spawnSync } from 'node:child_process';

/** What the pretest steps print: one line each, prefixed so it reads apart from npm's output. */
export const say = (line: string): void => console.log(`pretest: ${line}`);

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

/**
 * How this user may run apt-get: the command prefix (as root, or through sudo without a password),
 * or why it may not.
 */
export function aptAccess(): { prefix: string[] } | { denied: 'no apt-get' | 'not root' } {
  if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) return { denied: 'no apt-get' };
  const prefix = asRoot();
  return prefix ? { prefix } : { denied: 'not root' };
}

/** Installs Debian packages (without recommends); true when apt-get succeeded. */
export function aptInstall(prefix: readonly string[], packages: readonly string[]): boolean {
  return run([...prefix, 'apt-get', 'update'])
    && run([...prefix, 'apt-get', 'install', '-y', '--no-install-recommends', ...packages]);
}
