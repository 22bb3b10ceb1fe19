import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts worker-entry in a thread. Built (dist/, `.js`), it is a plain module. From the
 * TypeScript sources (vitest, tsx) it is `.ts`, which Node does not load by itself, and Node 20
 * does not apply a `--import tsx` of execArgv to a worker's entry: a one-line bootstrap
 * registers tsx's loader in the thread first, then imports the entry.
 */
export function startWorkerEntry(options: WorkerOptions): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(`./worker-entry.${fromSource ? 'ts' : 'js'}`, import.meta.url);
  if (!fromSource) return new Worker(entry, options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
