/** `npm run bench:http`: SuperNova's HTTP route against Fastify 5 and node:http on this machine. */
import { UsageError } from './cli/options.js';
import { planCpus } from './orchestrator/cpu-plan.js';
import { readHostLimits } from './orchestrator/host-limits.js';
import { writeResultFile } from './orchestrator/paths.js';
import { runCli } from './orchestrator/run-cli.js';
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
  const file = writeResultFile('http', result.startedAt, result);
  process.stdout.write(`\nresults: ${file}\n`);
  return 0;
}

runCli('bench:http', main);
