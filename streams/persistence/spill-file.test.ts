import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import { crc32 } from 'node:zlib';
import { SpillBudget } from './spill-budget.js';
import { SpillFile } from './spill-file.js';
import { SpillDir } from './spill-dir.js';
import { encodeRecord, RECORD_HEADER_BYTES, RECORD_MAGIC } from './spill-record.js';
import type { SpillError } from '../errors.js';

interface Row { id: number; pad: string }
const isRow = (r: unknown): r is Row => typeof (r as Row | null)?.id === 'number' && typeof (r as Row).pad === 'string';
const rows = (from: number, n: number, pad = 'x'.repeat(40)): Row[] => Array.from({ length: n }, (_, i) => ({ id: from + i, pad }));

/** Log lines by level, to check what is said once and what is said at all. */
function logger() {
  const lines: { level: 'warn' | 'error'; msg: string; obj: object }[] = [];
  return {
    lines,
    warn: (obj: object, msg?: string) => lines.push({ level: 'warn', msg: msg ?? '', obj }),
    error: (obj: object, msg?: string) => lines.push({ level: 'error', msg: msg ?? '', obj }),
    count: (re: RegExp) => lines.filter((l) => re.test(l.msg)).length,
  };
}

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'spill-test-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const open: SpillFile<Row>[] = [];
afterEach(async () => {
  for (const f of open.splice(0)) await f.stop();
});

async function spill(dir: string, o: { maxBytes?: number; segmentBytes?: number; budget?: SpillBudget; log?: ReturnType<typeof logger>; retryMs?: number } = {}): Promise<SpillFile<Row>> {
  const f = new SpillFile<Row>({
    dir, table: 'rows', budget: o.budget ?? new SpillBudget(o.maxBytes ?? 1 << 30), segmentBytes: o.segmentBytes ?? 1 << 20,
    isRow, log: o.log ?? logger(), setting: 'SUPERNOVA_SPILL_DIR', retryMs: o.retryMs ?? 1_000,
  });
  await f.start();
  open.push(f);
  return f;
}

/** Everything on disk, read and shifted batch by batch, as the writer drains it. */
async function drain(f: SpillFile<Row>): Promise<number[]> {
  const ids: number[] = [];
  for (let b = await f.peek(); b; b = await f.peek()) {
    ids.push(...b.map((r) => r.id));
    await f.shift();
  }
  return ids;
}

const segments = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.seg')).sort();
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe('SpillFile', () => {
  it('reads back every row in append order across segments and runs, deleting each segment once drained', async () => {
    const dir = tempDir();
    const log = logger();
    let f = await spill(dir, { segmentBytes: 4096, log });
    for (let i = 0; i < 20; i++) expect(await f.append(rows(i * 50, 50), 16)).toBe(true);
    expect(segments(dir).length).toBeGreaterThan(5);
    const onDisk = segments(dir).reduce((n, s) => n + statSync(join(dir, s)).size, 0);
    expect(f.stats()).toMatchObject({ spilledRows: 1000, bytes: onDisk, segments: segments(dir).length, budgetUsed: onDisk });
    // Half drained, then the process goes away.
    const first: number[] = [];
    while (first.length < 500) {
      const b = await f.peek();
      first.push(...(b ?? []).map((r) => r.id));
      await f.shift();
    }
    const left = segments(dir).length;
    await f.stop();
    // A new run finds the rest, appends after it, and reads it all in order.
    f = await spill(dir, { segmentBytes: 4096, log });
    expect(log.count(/previous run/)).toBe(1);
    expect(await f.append(rows(1000, 100), 16)).toBe(true);
    const rest = await drain(f);
    // The segment that was half read is read again from its start (written twice: harmless by the natural key).
    expect(first).toEqual(range(0, 500));
    const from = rest[0] as number;
    expect(from).toBeLessThanOrEqual(500);
    expect(rest).toEqual(range(from, 1100 - from));
    expect(left).toBeGreaterThan(0);
    expect(segments(dir)).toEqual([]);
    expect(f.hasRows()).toBe(false);
    expect(f.stats()).toMatchObject({ bytes: 0, segments: 0, budgetUsed: 0, corruptRecords: 0, tornTails: 0 });
  });

  it('keeps appending to the segment it is draining, and deletes it when the reader catches up', async () => {
    const dir = tempDir();
    const f = await spill(dir);
    await f.append(rows(0, 10), 5);
    expect((await f.peek())?.map((r) => r.id)).toEqual(range(0, 5));
    // The same batch until shift().
    expect((await f.peek())?.map((r) => r.id)).toEqual(range(0, 5));
    await f.shift();
    await f.append(rows(10, 5), 5);
    expect(await drain(f)).toEqual(range(5, 10));
    expect(segments(dir)).toEqual([]);
    await f.append(rows(15, 3), 5);
    expect(segments(dir)).toHaveLength(1);
    expect(await drain(f)).toEqual(range(15, 3));
  });

  it('skips a torn last record (a crash mid-append), counted and logged, and reads all before it', async () => {
    const dir = tempDir();
    let f = await spill(dir);
    await f.append(rows(0, 30), 10);
    await f.stop();
    const [seg] = segments(dir);
    const path = join(dir, seg as string);
    // The fourth record's append reached the disk only in part.
    const partial = encodeRecord(rows(30, 10));
    appendFileSync(path, partial.subarray(0, partial.length - 7));
    const log = logger();
    f = await spill(dir, { log });
    expect(await drain(f)).toEqual(range(0, 30));
    expect(f.stats()).toMatchObject({ tornTails: 1, corruptRecords: 0 });
    expect(log.count(/torn/)).toBe(1);
    expect(existsSync(path)).toBe(false);
  });

  it('skips a torn header of a few bytes too', async () => {
    const dir = tempDir();
    let f = await spill(dir);
    await f.append(rows(0, 10), 10);
    await f.stop();
    appendFileSync(join(dir, segments(dir)[0] as string), RECORD_MAGIC.subarray(0, 3));
    f = await spill(dir);
    expect(await drain(f)).toEqual(range(0, 10));
    expect(f.stats()).toMatchObject({ tornTails: 1, corruptRecords: 0 });
  });

  it('skips corrupt records of every kind, counted and logged, and reads the good ones around them', async () => {
    const dir = tempDir();
    let f = await spill(dir);
    // Ten records of ten rows: 0-9, 10-19, ...
    await f.append(rows(0, 100), 10);
    await f.stop();
    const path = join(dir, segments(dir)[0] as string);
    const bytes = readFileSync(path);
    // Where record k starts (msgpack sizes vary with the ids).
    const at = (k: number) => range(0, k).reduce((n, j) => n + encodeRecord(rows(j * 10, 10)).length, 0);
    expect(at(10)).toBe(bytes.length);
    // Record 1: a flipped bit in its rows.
    bytes[at(1) + RECORD_HEADER_BYTES + 20] = (bytes[at(1) + RECORD_HEADER_BYTES + 20] as number) ^ 0x10;
    // Record 3: a flipped length (smaller: the CRC, which covers it, catches it).
    bytes.writeUInt32LE(bytes.readUInt32LE(at(3) + 4) - 9, at(3) + 4);
    // Record 5: its magic overwritten.
    bytes.fill(0, at(5), at(5) + 4);
    // Record 7: a length past the end of the file, with good records after it.
    bytes.writeUInt32LE(1_000_000, at(7) + 4);
    // Garbage between records 8 and 9, that contains the magic itself.
    const garbage = Buffer.concat([Buffer.from('junk'), RECORD_MAGIC, Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9])]);
    writeFileSync(path, Buffer.concat([bytes.subarray(0, at(9)), garbage, bytes.subarray(at(9))]));
    const log = logger();
    f = await spill(dir, { log });
    const kept = [0, 2, 4, 6, 8, 9].flatMap((k) => range(k * 10, 10));
    expect(await drain(f)).toEqual(kept);
    expect(f.stats()).toMatchObject({ corruptRecords: 5, tornTails: 0, bytes: 0 });
    // Logged (the first few of a segment, then a count): here all five.
    expect(log.count(/corrupt spill record/)).toBe(5);
  });

  it('treats a record that is whole but not rows of this table as corrupt', async () => {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    // A record with a correct CRC whose payload is a msgpack map, one whose rows lack fields, and a good one.
    const frame = (payload: Buffer) => {
      const out = Buffer.alloc(RECORD_HEADER_BYTES + payload.length);
      RECORD_MAGIC.copy(out);
      out.writeUInt32LE(payload.length, 4);
      out.writeUInt32LE(crc32(payload, crc32(out.subarray(4, 8))), 8);
      payload.copy(out, RECORD_HEADER_BYTES);
      return out;
    };
    const packr = new Packr({ useRecords: false });
    writeFileSync(join(dir, '0000000000000001.seg'), Buffer.concat([
      frame(packr.pack({ not: 'rows' })), frame(packr.pack([{ id: 'one' }])), frame(Buffer.from([0xc1])), encodeRecord(rows(7, 2)),
    ]));
    const f = await spill(dir);
    expect(await drain(f)).toEqual([7, 8]);
    expect(f.stats().corruptRecords).toBe(3);
  });

  it('reads a file of random bytes without throwing, and deletes it', async () => {
    const dir = tempDir();
    const junk = Buffer.alloc(200_000);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919 + (i >> 3)) & 0xff;
    // Magics sprinkled in, followed by nonsense.
    for (let i = 1000; i < junk.length; i += 9_000) RECORD_MAGIC.copy(junk, i);
    writeFileSync(join(dir, '0000000000000001.seg'), junk);
    const f = await spill(dir);
    expect(await drain(f)).toEqual([]);
    expect(f.stats().corruptRecords + f.stats().tornTails).toBeGreaterThan(0);
    expect(segments(dir)).toEqual([]);
  });

  it('leaves alone what is not a segment of its own: other files, a directory, a number it could not count on from', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, '0000000000000001.seg'), encodeRecord(rows(0, 3)));
    mkdirSync(join(dir, '0000000000000002.seg'));
    writeFileSync(join(dir, '9999999999999999.seg'), encodeRecord(rows(100, 3)));
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    const log = logger();
    const f = await spill(dir, { log });
    expect(log.count(/not a spill segment/)).toBe(2);
    expect(await f.append(rows(3, 2), 10)).toBe(true);
    expect(await drain(f)).toEqual(range(0, 5));
    expect(readdirSync(dir).sort()).toEqual(['0000000000000002.seg', '9999999999999999.seg', 'LOCK', 'notes.txt']);
  });

  it('refuses appends past the byte budget: counted, logged once per episode, taken again once rows drain', async () => {
    const dir = tempDir();
    const log = logger();
    const recordBytes = encodeRecord(rows(0, 10)).length;
    const f = await spill(dir, { maxBytes: recordBytes * 3, segmentBytes: recordBytes, log, retryMs: 60_000 });
    expect(await f.append(rows(0, 30), 10)).toBe(true);
    expect(await f.append(rows(30, 10), 10)).toBe(false);
    expect(await f.append(rows(30, 1), 10)).toBe(false);
    expect(f.stats()).toMatchObject({ full: 'budget', spilledRows: 30, refusals: { budget: 2, disk: 0, io: 0, encode: 0 }, budgetUsed: recordBytes * 3 });
    expect(log.count(/byte budget is used/)).toBe(1);
    expect(f.accepting()).toBe(false);
    // One segment drained and deleted frees its bytes: appends are tried again at once.
    expect((await f.peek())?.map((r) => r.id)).toEqual(range(0, 10));
    await f.shift();
    expect(f.accepting()).toBe(true);
    expect(await f.append(rows(30, 10), 10)).toBe(true);
    expect(f.stats().full).toBeNull();
    expect(log.count(/takes rows again/)).toBe(1);
    expect(await drain(f)).toEqual(range(10, 30));
  });

  it('shares one budget between tables', async () => {
    const root = tempDir();
    const d = new SpillDir({ dir: root, maxBytes: encodeRecord(rows(0, 10)).length * 2, segmentBytes: 1 << 20, log: logger(), setting: 'SUPERNOVA_SPILL_DIR' });
    const a = d.table<Row>('alpha', isRow);
    const b = d.table<Row>('beta', isRow);
    await a.start();
    await b.start();
    try {
      expect(await a.append(rows(0, 10), 10)).toBe(true);
      expect(await b.append(rows(0, 10), 10)).toBe(true);
      expect(await a.append(rows(10, 10), 10)).toBe(false);
      expect(b.stats()).toMatchObject({ budgetUsed: d.budget.maxBytes, full: null });
      expect(existsSync(join(root, 'alpha'))).toBe(true);
      expect(() => d.table('alpha')).toThrow(/already in use/);
      expect(() => d.table('../etc')).toThrow(/a-z 0-9/);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('refuses rows msgpack cannot carry, keeping nothing of them', async () => {
    const dir = tempDir();
    const f = await spill(dir);
    const bad = [{ id: 1, pad: 'x', n: 10n ** 30n }] as unknown as Row[];
    expect(await f.append(bad, 10)).toBe(false);
    expect(f.stats()).toMatchObject({ full: 'encode', spilledRows: 0, bytes: 0 });
  });

  it('fails start with the setting named when the directory cannot be made', async () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, 'x');
    const f = new SpillFile<Row>({ dir: join(file, 'rows'), table: 'rows', budget: new SpillBudget(1 << 20), segmentBytes: 4096, log: logger(), setting: 'SUPERNOVA_SPILL_DIR' });
    const err = await f.start().then(() => undefined, (e: unknown) => e as SpillError);
    expect(err?.code).toBe('SPILL_DIR_UNUSABLE');
    expect(err?.message).toMatch(/SUPERNOVA_SPILL_DIR/);
    await expect(f.append(rows(0, 1), 1)).rejects.toMatchObject({ code: 'SPILL_NOT_STARTED' });
  });

  it('refuses a directory another live process holds, and takes over one whose process is gone', async () => {
    const dir = tempDir();
    const other = spawn('sleep', ['30']);
    try {
      writeFileSync(join(dir, 'LOCK'), String(other.pid));
      const f = new SpillFile<Row>({ dir, table: 'rows', budget: new SpillBudget(1 << 20), segmentBytes: 4096, log: logger(), setting: 'SUPERNOVA_SPILL_DIR' });
      await expect(f.start()).rejects.toMatchObject({ code: 'SPILL_DIR_LOCKED', message: expect.stringMatching(new RegExp(`process ${other.pid}.*SUPERNOVA_SPILL_DIR|SUPERNOVA_SPILL_DIR.*process ${other.pid}`)) });
    } finally {
      other.kill('SIGKILL');
      await new Promise((r) => other.once('exit', r));
    }
    // Now that pid is dead: the lock is stale.
    const f = await spill(dir);
    expect(readFileSync(join(dir, 'LOCK'), 'utf8')).toBe(String(process.pid));
    await f.stop();
    expect(existsSync(join(dir, 'LOCK'))).toBe(false);
  });
});

/**
 * A real full disk: a 256 KiB tmpfs. Mounting needs root (CI runs as root); elsewhere this is
 * skipped with a message, and under CI a failed mount fails.
 */
function tinyDisk(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'spill-enospc-'));
  dirs.push(dir);
  const ok = userInfo().uid === 0 && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir]).status === 0;
  if (!ok && process.env.CI === 'true') throw new Error('cannot mount a tmpfs for the full-disk test under CI (needs root)');
  if (!ok) console.warn('skipping the full-disk spill test: mounting a tmpfs needs root');
  return ok ? dir : undefined;
}
const disk = tinyDisk();

describe.runIf(disk !== undefined)('SpillFile on a full disk', () => {
  afterAll(() => {
    const r = spawnSync('umount', [disk as string], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`umount failed: ${r.stderr}`);
  });

  it('refuses with reason disk (ENOSPC), keeps every row it accepted readable, and takes rows again once drained', async () => {
    const dir = join(disk as string, 'rows');
    const log = logger();
    const f = await spill(dir, { segmentBytes: 32 * 1024, log, retryMs: 0 });
    let accepted = 0;
    let refused = 0;
    // Noise that msgpack cannot shrink, so the tmpfs fills.
    const pad = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 0xff)).toString('base64');
    for (let i = 0; i < 2_000 && refused < 3; i++) {
      if (await f.append(rows(accepted, 10, pad), 10)) accepted += 10;
      else refused++;
    }
    expect(refused).toBe(3);
    expect(accepted).toBeGreaterThan(100);
    expect(f.stats()).toMatchObject({ full: 'disk', spilledRows: accepted });
    expect(f.stats().refusals.disk).toBe(3);
    expect(log.count(/disk of SUPERNOVA_SPILL_DIR is full/)).toBe(1);
    // What a failed append wrote was cut back: the files hold exactly the accepted records.
    const ids = await drain(f);
    expect(ids).toEqual(range(0, accepted));
    expect(f.stats()).toMatchObject({ corruptRecords: 0, tornTails: 0, bytes: 0 });
    expect(await f.append(rows(accepted, 10, pad), 10)).toBe(true);
    expect(f.stats().full).toBeNull();
    expect(await drain(f)).toEqual(range(accepted, 10));
  });
});
