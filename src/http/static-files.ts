import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { answerStopped, Detachable } from './detachable.js';
import { negotiateEncoding, type Encoding } from './accept-encoding.js';
import { contentTypeOf } from './content-types.js';
import { statusText } from './http-error.js';

export interface StaticFilesOptions {
  /** The built page (index.html, assets/, and .br/.gz siblings made at build time). */
  dir: string;
  log: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
  /** Bytes held in memory at most, all variants counted; a larger directory is not served. */
  maxBytes: number;
  /** Served as /dashboard.json: what the page needs to know about this engine. */
  pageConfig: () => unknown;
}

/** Why the page cannot be served; stable codes, shown in the 503 body and the log. */
export class StaticFilesError extends Error {
  constructor(readonly code: 'DASHBOARD_NOT_BUILT' | 'DASHBOARD_TOO_LARGE', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StaticFilesError';
  }
}

interface StaticFile {
  contentType: string;
  cacheControl: string;
  etag: string;
  variants: Partial<Record<Encoding, Buffer>> & { identity: Buffer };
}

// Asset names carry a content hash, so a name's bytes never change: cache them for a year.
const IMMUTABLE = 'public, max-age=31536000, immutable';
// The entry page names the current assets: always revalidate (cheap with the ETag).
const REVALIDATE = 'no-cache';
const PRECOMPRESSED: Readonly<Record<string, Encoding>> = { '.br': 'br', '.gz': 'gzip' };

/**
 * Serves the dashboard from memory, on its own uWebSockets.js routes (more specific than the
 * router's catch-all, so they win). Files are read once at start; each response picks the
 * brotli or gzip variant made at build time by Accept-Encoding, so nothing is compressed per
 * request. Only names found at start are served: no request ever touches the file system.
 */
export class StaticFiles {
  private files = new Map<string, StaticFile>();
  private unavailable: StaticFilesError | undefined = new StaticFilesError('DASHBOARD_NOT_BUILT', 'the dashboard is loading');

  constructor(private readonly o: StaticFilesOptions) {}

  /** Adds the page's routes; detach the result once the app is closed (see Detachable). */
  register(app: TemplatedApp): Detachable<StaticFiles> {
    const self = new Detachable<StaticFiles>(this);
    const serving = (handle: (files: StaticFiles, res: HttpResponse, req: HttpRequest) => void) => (res: HttpResponse, req: HttpRequest): void => {
      const files = self.target;
      if (files) handle(files, res, req);
      else answerStopped(res);
    };
    for (const method of ['get', 'head'] as const) {
      app[method]('/', serving((files, res, req) => files.serve(res, req, 'index.html', method)));
      app[method]('/index.html', serving((files, res, req) => files.serve(res, req, 'index.html', method)));
      app[method]('/assets/*', serving((files, res, req) => files.serve(res, req, req.getUrl().slice(1), method)));
      app[method]('/dashboard.json', serving((files, res) => files.pageConfig(res, method)));
    }
    return self;
  }

  /** Loads the page into memory. A missing or oversized build is logged and answered with 503. */
  async start(): Promise<void> {
    try {
      this.files = await this.load();
      this.unavailable = undefined;
      this.o.log.info({ dir: this.o.dir, files: this.files.size }, 'dashboard loaded');
    } catch (err) {
      this.unavailable = err instanceof StaticFilesError ? err : new StaticFilesError('DASHBOARD_NOT_BUILT', `cannot read ${this.o.dir}`, { cause: err });
      this.o.log.warn({ code: this.unavailable.code, err: this.unavailable.message }, 'dashboard not served');
    }
  }

  stop(): void {
    this.files = new Map();
    this.unavailable = new StaticFilesError('DASHBOARD_NOT_BUILT', 'the engine is stopping');
  }

  private async load(): Promise<Map<string, StaticFile>> {
    const present = await stat(this.o.dir).then((s) => s.isDirectory(), () => false);
    if (!present) throw new StaticFilesError('DASHBOARD_NOT_BUILT', `no dashboard in ${this.o.dir}: run \`npm run build\` (or set SUPERNOVA_WEB_DIR)`);
    const entries = await readdir(this.o.dir, { withFileTypes: true, recursive: true });
    const paths = entries.filter((e) => e.isFile()).map((e) => relative(this.o.dir, join(e.parentPath, e.name)).split(sep).join('/'));
    const originals = paths.filter((p) => !PRECOMPRESSED[p.slice(p.lastIndexOf('.'))]);
    if (!originals.includes('index.html')) throw new StaticFilesError('DASHBOARD_NOT_BUILT', `${this.o.dir} has no index.html: run \`npm run build\``);
    const files = new Map<string, StaticFile>();
    let bytes = 0;
    for (const path of originals) {
      const identity = await readFile(join(this.o.dir, path));
      const file: StaticFile = {
        contentType: contentTypeOf(path),
        cacheControl: path === 'index.html' ? REVALIDATE : IMMUTABLE,
        etag: `"${createHash('sha256').update(identity).digest('base64url').slice(0, 22)}"`,
        variants: { identity },
      };
      bytes += identity.length;
      for (const [suffix, encoding] of Object.entries(PRECOMPRESSED)) {
        if (!paths.includes(path + suffix)) continue;
        const body = await readFile(join(this.o.dir, path + suffix));
        file.variants[encoding] = body;
        bytes += body.length;
      }
      if (bytes > this.o.maxBytes) throw new StaticFilesError('DASHBOARD_TOO_LARGE', `${this.o.dir} holds over ${this.o.maxBytes} bytes; refusing to keep it in memory`);
      files.set(path, file);
    }
    return files;
  }

  private serve(res: HttpResponse, req: HttpRequest, path: string, method: 'get' | 'head'): void {
    if (this.unavailable) {
      error(res, 503, this.unavailable.code, this.unavailable.message);
      return;
    }
    const file = this.files.get(path);
    if (!file) {
      error(res, 404, 'NOT_FOUND', `no file /${path}`);
      return;
    }
    const available = Object.keys(file.variants) as Encoding[];
    const encoding = negotiateEncoding(req.getHeader('accept-encoding'), available);
    const etag = encoding === 'identity' ? file.etag : `${file.etag.slice(0, -1)}-${encoding}"`;
    const ifNoneMatch = req.getHeader('if-none-match');
    // Any variant's tag names the same content, so a client holding any of them is current.
    const fresh = ifNoneMatch !== '' && ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '').startsWith(file.etag.slice(0, -1)));
    const body = file.variants[encoding] as Buffer;
    res.writeStatus(fresh ? '304 Not Modified' : '200 OK');
    res.writeHeader('cache-control', file.cacheControl);
    res.writeHeader('etag', etag);
    res.writeHeader('vary', 'accept-encoding');
    if (fresh) {
      res.endWithoutBody();
      return;
    }
    res.writeHeader('content-type', file.contentType);
    res.writeHeader('x-content-type-options', 'nosniff');
    if (encoding !== 'identity') res.writeHeader('content-encoding', encoding);
    // endWithoutBody(length) aborts the process in this uWS build, so HEAD answers carry no length.
    if (method === 'head') res.endWithoutBody();
    else res.end(body);
  }

  private pageConfig(res: HttpResponse, method: 'get' | 'head'): void {
    const body = JSON.stringify(this.o.pageConfig());
    res.writeStatus('200 OK');
    res.writeHeader('content-type', 'application/json');
    res.writeHeader('cache-control', REVALIDATE);
    if (method === 'head') res.endWithoutBody();
    else res.end(body);
  }
}

function error(res: HttpResponse, status: number, code: string, message: string): void {
  res.writeStatus(`${status} ${statusText[status] ?? ''}`.trim());
  res.writeHeader('content-type', 'application/json');
  res.writeHeader('cache-control', 'no-store');
  res.end(JSON.stringify({ error: { code, message } }));
}
