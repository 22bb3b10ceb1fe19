import { build } from 'esbuild';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

export interface BuildDashboardOptions {
  /** The page's sources (index.html, main.ts, ...). */
  sourceDir: string;
  /** Emptied, then filled with index.html, assets/ and their .br/.gz siblings. */
  outDir: string;
}

export interface BuiltDashboard {
  files: string[];
  bytes: number;
}

/** Only files this size or larger are pre-compressed; below it the headers cost more than they save. */
const MIN_COMPRESS_BYTES = 512;

/**
 * Builds the dashboard: esbuild bundles main.ts (and its CSS) into content-hashed assets, the
 * HTML template gets their names, and every text file is pre-compressed with brotli and gzip,
 * so the engine serves bytes straight from memory and never compresses per request.
 */
export async function buildDashboard(o: BuildDashboardOptions): Promise<BuiltDashboard> {
  await rm(o.outDir, { recursive: true, force: true });
  const assetsDir = join(o.outDir, 'assets');
  await mkdir(assetsDir, { recursive: true });
  const result = await build({
    entryPoints: [join(o.sourceDir, 'main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    entryNames: 'app-[hash]',
    assetNames: '[name]-[hash]',
    outdir: assetsDir,
    metafile: true,
    legalComments: 'linked',
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => resolve(p));
  const js = outputs.find((p) => p.endsWith('.js'));
  const css = outputs.find((p) => p.endsWith('.css'));
  if (!js || !css) throw new Error(`dashboard build produced no ${js ? 'CSS' : 'JavaScript'} bundle`);
  const template = await readFile(join(o.sourceDir, 'index.html'), 'utf8');
  const html = template
    .replace('%APP_JS%', `/assets/${basename(js)}`)
    .replace('%APP_CSS%', `/assets/${basename(css)}`);
  await writeFile(join(o.outDir, 'index.html'), html);

  const files = await listFiles(o.outDir);
  let bytes = 0;
  for (const file of files) {
    const body = await readFile(file);
    bytes += body.length;
    if (body.length < MIN_COMPRESS_BYTES || file.endsWith('.png')) continue;
    const br = brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length } });
    const gz = gzipSync(body, { level: 9 });
    if (br.length < body.length) await writeFile(`${file}.br`, br);
    if (gz.length < body.length) await writeFile(`${file}.gz`, gz);
  }
  return { files: files.map((f) => relative(o.outDir, f)), bytes };
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).sort();
}

// `node dist/src/web/build.js` (npm run build): from the repository root, into dist/web.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildDashboard({ sourceDir: resolve('src/web/app'), outDir: resolve('dist/web') }).then(
    (built) => process.stdout.write(`dashboard: ${built.files.length} files, ${(built.bytes / 1024).toFixed(0)} KiB in dist/web\n`),
    (err: unknown) => {
      process.stderr.write(`dashboard build failed: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
