import { mkdir, open, readdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { StreamLogger } from '../ports.js';
import { SpillError } from '../errors.js';
import { DirLock, unusable } from './dir-lock.js';
import { readSegment } from './segment-reader.js';
import { encodeRecord } from './spill-record.js';
import type { SpillBudget } from './spill-budget.js';

/** Why an append was refused: the byte budget, the disk (ENOSPC, EDQUOT), another I/O error, or rows msgpack cannot carry. */
export type SpillRefusal = 'budget' | 'disk' | 'io' | 'encode';
export const SPILL_REFUSALS: readonly SpillRefusal[] = ['budget', 'disk', 'io', 'encode'];

export interface SpillFileOptions<T> {
  /** This table's directory (SUPERNOVA_SPILL_DIR/<table>), created at start if missing. */
  dir: string;
  table: string;
  /** Shared by every table of the directory. */
  budget: SpillBudget;
  /** Once a segment holds this many bytes the next append opens a new one, so drained rows free disk in steps. */
  segmentBytes: number;
  /** Rows read back are input like any other: a record with a row this refuses is corrupt. */
  isRow?: (row: unknown) => row is T;
  log: StreamLogger;
  /** The setting that names the directory, for messages. */
  setting: string;
  /** After a refused append, how long before appends are tried again (sooner once the budget frees bytes). */
  retryMs?: number;
}

export interface SpillStats {
  /** Bytes of this table's segments on disk, and their number. */
  bytes: number;
  segments: number;
  /** The shared budget (SUPERNOVA_SPILL_MAX_BYTES) and what all tables use of it. */
  maxBytes: number;
  budgetUsed: number;
  /** Why appends are refused now, or null when they are taken. */
  full: SpillRefusal | null;
  /** Rows appended (durable) and rows read back and written to the sink, since start. */
  spilledRows: number;
  drainedRows: number;
  /** Damaged records skipped on reading (their rows are lost), and torn tails (a crash mid-append). */
  corruptRecords: number;
  tornTails: number;
  /** Appends refused, by reason (their rows stay in memory). */
  refusals: Record<SpillRefusal, number>;
}

interface Segment { seq: number; path: string; size: number }
interface Writer { seg: Segment; fh: FileHandle }

const DAMAGE_LOGS_PER_SEGMENT = 5;
const SEGMENT_NAME = /^(\d{16})\.seg$/;
/** Far beyond any run's segments, and still a 16-digit name when counted on from. */
const MAX_SEQ = 1e15;
const segmentName = (seq: number) => `${String(seq).padStart(16, '0')}.seg`;

/**
 * An append-only spill of one table's rows: numbered segment files of framed records (see
 * spill-record.ts), read back oldest first. Rows are durable once append() resolves (written and
 * fdatasync'd). A segment is deleted only when every record in it was read and shift()ed, i.e.
 * written to the database; a crash before that writes them again at the next start, which the
 * sinks' natural keys make harmless. One append at a time, and peek()/shift() not during one:
 * the batch writer's single loop does both.
 */
export class SpillFile<T> {
  readonly table: string;
  private segments: Segment[] = [];
  private writer: Writer | undefined;
  private reader: { seg: Segment; fh: FileHandle; offset: number } | undefined;
  /** The record peek() returned, until shift(). */
  private head: { rows: T[]; end: number } | undefined;
  private nextSeq = 1;
  private appending = false;
  private started = false;
  private refusedBy: SpillRefusal | undefined;
  /** A read failed (logged once until one succeeds). */
  private readFailing = false;
  private refusedAt = 0;
  private released = false;
  private readonly lock: DirLock;
  /** Corrupt records found per segment, to cap how many are logged. */
  private readonly damagedIn = new Map<number, number>();
  private readonly counts = { spilledRows: 0, drainedRows: 0, corruptRecords: 0, tornTails: 0 };
  private readonly refusals: Record<SpillRefusal, number> = { budget: 0, disk: 0, io: 0, encode: 0 };

  constructor(private readonly o: SpillFileOptions<T>) {
    this.table = o.table;
    this.lock = new DirLock(o.dir, o.setting);
  }

  /** Creates and locks the directory and finds the segments a previous run left (read first). */
  async start(): Promise<void> {
    if (this.started) return;
    try {
      await mkdir(this.o.dir, { recursive: true });
    } catch (err) {
      throw unusable(this.o.dir, this.o.setting, err);
    }
    await this.lock.acquire();
    this.segments = [];
    try {
      for (const name of (await readdir(this.o.dir)).sort()) {
        const m = SEGMENT_NAME.exec(name);
        if (!m) continue;
        const path = join(this.o.dir, name);
        const info = await stat(path);
        const seq = Number(m[1]);
        // Not ours (a directory, or a number this run could not count on from): left alone, and said.
        if (!info.isFile() || seq > MAX_SEQ) {
          this.o.log.warn({ table: this.table, file: name }, 'not a spill segment of this engine: ignored');
          continue;
        }
        if (info.size === 0) await unlink(path);
        else this.segments.push({ seq, path, size: info.size });
      }
    } catch (err) {
      await this.lock.release();
      throw unusable(this.o.dir, this.o.setting, err);
    }
    const bytes = this.segments.reduce((n, s) => n + s.size, 0);
    this.o.budget.adopt(bytes);
    this.nextSeq = (this.segments.at(-1)?.seq ?? 0) + 1;  // newSegment() steps over any name already taken
    this.started = true;
    if (this.segments.length > 0) {
      this.o.log.warn({ table: this.table, segments: this.segments.length, bytes }, 'spilled rows of a previous run found: they are written to the database before newer rows');
    }
  }

  /** Closes the files and the lock; segments stay for the next start (and in stats()). */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    // The next start() finds them again; the budget is the directory's while it is open.
    this.o.budget.release(this.segments.reduce((n, s) => n + s.size, 0));
    await this.reader?.fh.close().catch(() => {});
    await this.writer?.fh.close().catch(() => {});
    this.reader = undefined;
    this.writer = undefined;
    this.head = undefined;
    await this.lock.release();
  }

  /** Whether rows wait on disk (possibly only damaged ones, which peek() skips). */
  hasRows(): boolean {
    const first = this.segments[0];
    if (this.head || this.segments.length > 1) return true;
    return first !== undefined && first.size > (this.reader?.seg === first ? this.reader.offset : 0);
  }

  /** False after a refusal, until its retry time has passed (or the budget freed bytes). */
  accepting(): boolean {
    return this.refusedBy === undefined || this.released || Date.now() - this.refusedAt >= (this.o.retryMs ?? 1_000);
  }

  /**
   * Appends rows as records of at most `perRecord` rows and syncs them to disk. Resolves true once
   * they are durable, or false when refused (budget, disk, I/O, encoding): then nothing of them is
   * on disk, the refusal is counted and, the first time in a row, logged.
   */
  async append(rows: readonly T[], perRecord: number): Promise<boolean> {
    this.assertStarted();
    if (this.appending) throw new Error('SpillFile.append: one append at a time');
    if (rows.length === 0) return true;
    let records: Buffer[];
    try {
      records = [];
      for (let i = 0; i < rows.length; i += perRecord) records.push(encodeRecord(rows.slice(i, i + perRecord)));
    } catch (err) {
      return this.refuse('encode', err);
    }
    const total = records.reduce((n, r) => n + r.length, 0);
    if (!this.o.budget.reserve(total)) return this.refuse('budget');
    this.appending = true;
    const plan: { w: Writer; created: boolean; parts: Buffer[]; bytes: number }[] = [];
    try {
      let cur = this.writer ? { w: this.writer, created: false, parts: [] as Buffer[], bytes: 0 } : undefined;
      if (cur) plan.push(cur);
      for (const rec of records) {
        const filled = cur ? cur.w.seg.size + cur.bytes : 0;
        if (!cur || (filled > 0 && filled + rec.length > this.o.segmentBytes)) {
          cur = { w: await this.newSegment(), created: true, parts: [], bytes: 0 };
          plan.push(cur);
        }
        cur.parts.push(rec);
        cur.bytes += rec.length;
      }
      for (const p of plan) {
        if (p.bytes === 0) continue;
        await writeAll(p.w.fh, Buffer.concat(p.parts, p.bytes), p.w.seg.size);
        await p.w.fh.datasync();
      }
    } catch (err) {
      await this.rollback(plan);
      this.o.budget.release(total);
      this.appending = false;
      const code = (err as NodeJS.ErrnoException).code;
      return this.refuse(code === 'ENOSPC' || code === 'EDQUOT' ? 'disk' : 'io', err);
    }
    // Committed: only now do readers see the bytes, and new segments join the list.
    for (const p of plan) {
      p.w.seg.size += p.bytes;
      if (p.created) this.segments.push(p.w.seg);
    }
    const last = plan.at(-1)?.w;
    for (const p of plan) if (p.w !== last) await p.w.fh.close().catch(() => {});
    this.writer = last;
    this.appending = false;
    this.counts.spilledRows += rows.length;
    if (this.refusedBy) this.o.log.warn({ table: this.table, was: this.refusedBy }, 'the spill takes rows again');
    this.refusedBy = undefined;
    return true;
  }

  /**
   * The oldest batch of rows on disk, the same one until shift(); undefined when none is left.
   * Damaged records and torn tails on the way are counted, logged and skipped; fully read
   * segments are deleted here, their rows all written.
   */
  async peek(): Promise<T[] | undefined> {
    this.assertStarted();
    if (this.head) return this.head.rows;
    try {
      const rows = await this.readHead();
      this.readFailing = false;
      return rows;
    } catch (err) {
      if (!this.readFailing) this.o.log.error({ table: this.table, err: (err as Error).message }, 'cannot read the spill: its rows wait, and newer rows wait behind them');
      this.readFailing = true;
      throw err;
    }
  }

  private async readHead(): Promise<T[] | undefined> {
    for (;;) {
      const seg = this.segments[0];
      if (!seg) return undefined;
      if (this.reader?.seg !== seg) {
        await this.reader?.fh.close().catch(() => {});
        this.reader = undefined;
        try {
          this.reader = { seg, fh: await open(seg.path, 'r'), offset: 0 };
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          // Deleted behind our back: its rows are gone, which is what a corrupt record means too.
          this.damaged(seg, 0, seg.size, 'missing');
          this.forget(seg);
          continue;
        }
      }
      const reader = this.reader;
      const at = reader.offset;
      const r = await readSegment(reader.fh, at, seg.size);
      if (r.kind === 'record') {
        if (this.o.isRow && !r.rows.every(this.o.isRow)) {
          this.damaged(seg, at, r.end, 'rows');
          reader.offset = r.end;
          continue;
        }
        this.head = { rows: r.rows as T[], end: r.end };
        return this.head.rows;
      }
      if (r.kind === 'corrupt') {
        this.damaged(seg, at, r.next, r.reason);
        reader.offset = r.next;
      } else if (r.kind === 'torn') {
        this.counts.tornTails++;
        this.o.log.warn({ table: this.table, segment: segmentName(seg.seq), offset: at, bytes: r.bytes }, 'spill segment ends in a torn record (a crash mid-append): skipped, its rows had not been accepted to disk');
        reader.offset = seg.size;
      } else if (!(await this.reap())) {
        return undefined;
      }
    }
  }

  /** Drops the batch peek() returned: its rows are written. */
  async shift(): Promise<void> {
    if (!this.head || !this.reader) return;
    this.reader.offset = this.head.end;
    this.counts.drainedRows += this.head.rows.length;
    this.head = undefined;
    if (this.reader.offset >= this.reader.seg.size) await this.reap();
  }

  stats(): SpillStats {
    return {
      bytes: this.segments.reduce((n, s) => n + s.size, 0),
      segments: this.segments.length,
      maxBytes: this.o.budget.maxBytes,
      budgetUsed: this.o.budget.used,
      full: this.refusedBy ?? null,
      ...this.counts,
      refusals: { ...this.refusals },
    };
  }

  /** Deletes the first segment once it is read to its end (and not being appended to); true if it did. */
  private async reap(): Promise<boolean> {
    const seg = this.segments[0];
    if (!seg || this.head || this.appending || this.reader?.seg !== seg || this.reader.offset < seg.size) return false;
    await this.reader.fh.close().catch(() => {});
    this.reader = undefined;
    if (this.writer?.seg === seg) {
      await this.writer.fh.close().catch(() => {});
      this.writer = undefined;
    }
    await unlink(seg.path).catch((err: NodeJS.ErrnoException) => {
      // Left behind, it is read again at the next start: its rows are written twice, which the natural key makes harmless.
      if (err.code !== 'ENOENT') this.o.log.error({ table: this.table, segment: segmentName(seg.seq), err: err.message }, 'cannot delete a drained spill segment');
    });
    this.forget(seg);
    return true;
  }

  private forget(seg: Segment): void {
    const damaged = this.damagedIn.get(seg.seq) ?? 0;
    if (damaged > DAMAGE_LOGS_PER_SEGMENT) this.o.log.error({ table: this.table, segment: segmentName(seg.seq), corruptRecords: damaged }, 'spill segment had more corrupt records than were logged');
    this.damagedIn.delete(seg.seq);
    this.segments = this.segments.filter((s) => s !== seg);
    this.o.budget.release(seg.size);
    this.released = true;
  }

  private async newSegment(): Promise<Writer> {
    let seg: Segment;
    let fh: FileHandle;
    for (let tries = 0; ; tries++) {
      const seq = this.nextSeq++;
      seg = { seq, path: join(this.o.dir, segmentName(seq)), size: 0 };
      try {
        fh = await open(seg.path, 'wx');
        break;
      } catch (err) {
        // A name something else holds (a file or directory left there): the next number.
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || tries >= 100) throw err;
      }
    }
    // The file's name must survive a power loss as well as its bytes.
    await syncDir(this.o.dir);
    return { seg, fh };
  }

  /** Takes back whatever a failed append wrote: new segments go, the open one is cut to its committed size. */
  private async rollback(plan: { w: Writer; created: boolean }[]): Promise<void> {
    for (const p of plan) {
      if (p.created) {
        await p.w.fh.close().catch(() => {});
        await unlink(p.w.seg.path).catch(() => {});
      } else {
        // If this fails too, readers still stop at the committed size, and the next append overwrites the rest.
        await p.w.fh.truncate(p.w.seg.size).catch(() => {});
      }
    }
  }

  private refuse(reason: SpillRefusal, err?: unknown): false {
    this.refusals[reason]++;
    if (this.refusedBy !== reason) {
      const detail = err instanceof Error ? err.message : undefined;
      const why = reason === 'budget'
        ? `its byte budget is used (${this.o.budget.used} of ${this.o.budget.maxBytes} bytes, SUPERNOVA_SPILL_MAX_BYTES)`
        : reason === 'disk' ? `the disk of ${this.o.setting} is full` : reason === 'io' ? `writing to ${this.o.setting} fails` : 'rows cannot be encoded';
      this.o.log.error({ table: this.table, reason, ...(detail ? { err: detail } : {}) }, `the spill refuses rows: ${why}; they stay in memory, and past SUPERNOVA_PERSIST_MAX_BUFFERED are refused and counted`);
    }
    this.refusedBy = reason;
    this.refusedAt = Date.now();
    this.released = false;
    return false;
  }

  private damaged(seg: Segment, from: number, to: number, reason: string): void {
    this.counts.corruptRecords++;
    // Every one counts; a badly damaged file logs its first few and then a line per segment read.
    const n = (this.damagedIn.get(seg.seq) ?? 0) + 1;
    this.damagedIn.set(seg.seq, n);
    if (n > DAMAGE_LOGS_PER_SEGMENT) return;
    this.o.log.error({ table: this.table, segment: segmentName(seg.seq), offset: from, bytes: to - from, reason }, 'corrupt spill record skipped: its rows are not written to the database');
  }

  private assertStarted(): void {
    if (!this.started) throw new SpillError('SPILL_NOT_STARTED', `the spill of ${this.table} is not started`);
  }
}

async function writeAll(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done, position + done);
    done += bytesWritten;
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch {
    // Some file systems cannot sync a directory; the data itself is synced all the same.
  } finally {
    await fh.close();
  }
}
