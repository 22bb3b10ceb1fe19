/** `npm run bench:http`: SuperNova's HTTP route against Fastify 5 and node:http on this machine. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './cli/options.js';
import { BenchChild } from './orchestrator/bench-child.js';
import { planCpus } from './orchestrator/cpu-plan.js';
import { readHostLimits } from './orchestrator/host-limits.js';
import { resultsDir } from './orchestrator/paths.js';
import { httpRatioRows } from './http/http-rows.js';
import { runHttpBench } from './http/http-bench.js';
import { HTTP_HELP, parseHttpOptions } from './http/options.js';
import { ratioTable } from './shared/ratio-table.js';

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseHttpOptions>;
  try {
    parsed = parseHttpOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${HTTP_HELP}\n`);
    return err instanceof UsageError || err instanceof TypeError ? 2 : 1;
  }
  if (parsed === 'help') {
    process.stdout.write(`${HTTP_HELP}\n`);
    return 0;
  }
  const { pin, ...o } = parsed;
  const cpu = planCpus(readHostLimits(), pin);
  process.stderr.write(`cpu split: ${cpu.description}\n`);
  const result = await runHttpBench(o, cpu, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(`\n${ratioTable(httpRatioRows(result))}\n`);
  const dir = resultsDir();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `http-${result.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`\nresults: ${file}\n`);
  return 0;
}

process.on('SIGINT', () => {
  BenchChild.killAll();
  process.exit(130);
});

main().then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`bench:http: ${err instanceof Error ? err.message : String(err)}\n`);
  BenchChild.killAll();
  process.exit(1);
});
