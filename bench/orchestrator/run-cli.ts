import { BenchChild } from './bench-child.js';

/**
 * The process frame of a benchmark command: Ctrl-C or a failure ends exactly the child processes
 * this command started, and the exit code is main's (130 on Ctrl-C, 1 on a failure).
 */
export function runCli(name: string, main: () => Promise<number>): void {
  process.on('SIGINT', () => {
    BenchChild.killAll();
    process.exit(130);
  });
  main().then((code) => process.exit(code), (err: unknown) => {
    process.stderr.write(`${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    BenchChild.killAll();
    process.exit(1);
  });
}
