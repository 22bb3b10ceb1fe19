/**
 * `npm run fuzz`: the suite's fuzz (about a minute); `npm run fuzz -- --long`: 100,000 frames,
 * however long they take; `--frames N` and `--seed S` set those. Any other FUZZ_* variable
 * (see fuzz-options.ts) passes through.
 */
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const env: Record<string, string | undefined> = { ...process.env };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--long') env.FUZZ_FRAMES ??= '100000';
  else if (a === '--frames') env.FUZZ_FRAMES = args[++i];
  else if (a === '--seed') env.FUZZ_SEED = args[++i];
  else if (a === '--report') env.FUZZ_REPORT = args[++i];
  else {
    console.error(`unknown option ${a}; use --long, --frames N, --seed S, --report FILE`);
    process.exit(2);
  }
}
const res = spawnSync('npx', ['vitest', 'run', 'test/fuzz/hostile-frames.test.ts'], { stdio: 'inherit', env });
process.exit(res.status ?? 1);
