import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the compiled child entries are (next to this module's compiled directory). */
export const childScripts = {
  supernova: fileURLToPath(new URL('../servers/supernova-server.js', import.meta.url)),
  protobuf: fileURLToPath(new URL('../servers/supernova-server.js', import.meta.url)),
  raw: fileURLToPath(new URL('../peers/raw-uws-server.js', import.meta.url)),
  ws: fileURLToPath(new URL('../peers/ws-server.js', import.meta.url)),
  socketio: fileURLToPath(new URL('../peers/socketio-server.js', import.meta.url)),
  loadtestEngine: fileURLToPath(new URL('../servers/loadtest-server.js', import.meta.url)),
  clusterNode: fileURLToPath(new URL('../servers/cluster-node.js', import.meta.url)),
  apiPublisher: fileURLToPath(new URL('../clients/api-publisher.js', import.meta.url)),
  httpSupernova: fileURLToPath(new URL('../servers/http-supernova.js', import.meta.url)),
  httpFastify: fileURLToPath(new URL('../peers/http-fastify.js', import.meta.url)),
  httpNode: fileURLToPath(new URL('../peers/http-node.js', import.meta.url)),
  httpUws: fileURLToPath(new URL('../peers/http-uws.js', import.meta.url)),
  loadWorker: fileURLToPath(new URL('../clients/load-worker.js', import.meta.url)),
  barsArchive: fileURLToPath(new URL('../servers/bars-archive-server.js', import.meta.url)),
} as const;

/** bench/results of the package, found from package.json so it works from dist/ as from bench/. */
export function resultsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 8; depth++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'bench', 'results');
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return join(process.cwd(), 'bench', 'results');
}

/** A run's own directory, bench/results/<prefix>-<startedAt> (not created here). */
export function runDir(prefix: string, startedAt: string): string {
  return join(resultsDir(), `${prefix}-${startedAt.replace(/[:.]/g, '-')}`);
}

/** Writes `data` as result.json in the run's directory and returns the file's path. */
export function writeRunResult(prefix: string, startedAt: string, data: unknown): string {
  const dir = runDir(prefix, startedAt);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'result.json');
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}

/** Writes `data` as bench/results/<prefix>-<startedAt>.json and returns the file's path. */
export function writeResultFile(prefix: string, startedAt: string, data: unknown): string {
  const dir = resultsDir();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${prefix}-${startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}
