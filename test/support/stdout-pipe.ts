import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real pipe (a named one, so the test can also write into it) to give a child as its stdout.
 * The test holds the read end and reads only when it wants: it can read the start-up lines, then
 * stop reading and fill the pipe, or close the read end as a reader that died would.
 */
export class StdoutPipe {
  /** The write end, for the child's stdio; closed here once the child has it. */
  readonly childFd: number;
  private readonly dir: string;
  private readonly path: string;
  private readFd: number | undefined;
  private childFdOpen = true;
  private text = '';

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'supernova-stdout-'));
    this.path = join(this.dir, 'stdout');
    execFileSync('mkfifo', [this.path]);
    // Reader first and non-blocking, so opening the write end does not wait for one.
    this.readFd = openSync(this.path, constants.O_RDONLY | constants.O_NONBLOCK);
    this.childFd = openSync(this.path, constants.O_WRONLY);
  }

  /** After spawn: the child holds its own copy of the write end. */
  releaseChildEnd(): void {
    if (this.childFdOpen) closeSync(this.childFd);
    this.childFdOpen = false;
  }

  /** Everything read so far. */
  get output(): string {
    return this.text;
  }

  /** Reads what the pipe holds now, without waiting. */
  drain(): string {
    if (this.readFd === undefined) return this.text;
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      let n: number;
      try {
        n = readSync(this.readFd, buf, 0, buf.length, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') break;
        throw err;
      }
      if (n === 0) break;
      this.text += buf.toString('utf8', 0, n);
    }
    return this.text;
  }

  /** Reads until the output contains `needle`. */
  async readUntil(needle: string, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!this.drain().includes(needle)) {
      if (Date.now() > deadline) throw new Error(`no "${needle}" on stdout within ${timeoutMs} ms; got: ${this.text}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.text;
  }

  /**
   * Writes into the pipe from a second write end until the kernel takes no more byte, so the
   * child's next write finds it full. Returns the bytes written.
   */
  fill(): number {
    const fd = openSync(this.path, constants.O_WRONLY | constants.O_NONBLOCK);
    let total = 0;
    try {
      // Big chunks, then pages, then single bytes: a write up to a page is all or nothing.
      for (const size of [64 * 1024, 4096, 1]) {
        const chunk = Buffer.alloc(size, '\n');
        for (;;) {
          try {
            total += writeSync(fd, chunk);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'EAGAIN') break;
            throw err;
          }
        }
      }
    } finally {
      closeSync(fd);
    }
    return total;
  }

  /** The reader dies: the child's next write gets EPIPE. */
  closeReader(): void {
    if (this.readFd !== undefined) closeSync(this.readFd);
    this.readFd = undefined;
  }

  dispose(): void {
    this.releaseChildEnd();
    this.closeReader();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
