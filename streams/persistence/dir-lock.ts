import { open, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SpillError } from '../errors.js';

/**
 * A spill table directory held by one process: `LOCK` holds its pid. Two engines appending to one
 * directory would interleave segments, so the second is refused while the first lives. A lock
 * whose process is gone (killed: it had no chance to remove it) is taken over; so is one with this
 * process's own pid, which in a container is a previous incarnation's (pid 1 again). Engines in
 * different pid namespaces sharing a volume cannot see each other's pids: give each its own dir.
 */
export class DirLock {
  private held = false;
  private readonly file: string;

  constructor(dir: string, private readonly setting: string) {
    this.file = join(dir, 'LOCK');
  }

  async acquire(): Promise<void> {
    try {
      const fh = await open(this.file, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw unusable(this.file, this.setting, err);
      const owner = Number.parseInt(await readFile(this.file, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new SpillError('SPILL_DIR_LOCKED', `the spill directory ${this.file.slice(0, -5)} (${this.setting}) is in use by process ${owner}; give each engine its own directory`);
      }
      await writeFile(this.file, String(process.pid)).catch((e: unknown) => { throw unusable(this.file, this.setting, e); });
    }
    this.held = true;
  }

  async release(): Promise<void> {
    if (!this.held) return;
    this.held = false;
    await unlink(this.file).catch(() => {});
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function unusable(path: string, setting: string, cause: unknown): SpillError {
  return new SpillError('SPILL_DIR_UNUSABLE', `cannot use the spill directory at ${path} (${setting}): ${(cause as Error).message}`, { cause });
}
