import { BenchChild } from './bench-child.js';

/** Longest an interrupted command's cleanup may take before it exits anyway. */
const CLEANUP_MS = 5000;

/**
 * The process frame of a benchmark command: Ctrl-C or a failure ends exactly the child processes
 * this command started, then runs `cleanup` (bounded: what the run left outside this machine's
 * processes, such as keys in a shared Redis), and the exit code is main's (130 on Ctrl-C, 1 on a
 * failure).
 */
export function runCli(name: string, main: () => Promise<number>, cleanup: () => Promise<unknown> = async () => {}): void {
  const leave = (code: number) => {
    BenchChild.killAll();
    const timer = setTimeout(() => process.exit(code), CLEANUP_MS);
    cleanup().catch(() => {}).finally(() => {
      clearTimeout(timer);
      process.exit(code);
    });
  };
  process.on('SIGINT', () => leave(130));
  main().then((code) => process.exit(code), (err: unknown) => {
    process.stderr.write(`${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    leave(1);
  });
}
