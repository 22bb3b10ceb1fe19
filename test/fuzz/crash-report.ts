import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SentFrame, Unanswered } from './fuzz-fleet.js';

export interface CrashReport {
  seed: number;
  reason: string;
  /** The engine's exit, if it died. */
  exit: { code: number | null; signal: string | null; at: number } | undefined;
  engineOutput: string;
  /** The frames sent last, oldest first, with their send times: a crash is among those sent just before `exit.at`. */
  recent: SentFrame[];
  unanswered: Unanswered[];
  figures: unknown;
}

/** Writes the report where `npx tsx test/fuzz/replay.ts FILE` can read it, and returns its path. */
export function writeCrashReport(report: CrashReport): string {
  const path = join(tmpdir(), `supernova-fuzz-${report.seed}-${Date.now()}.json`);
  writeFileSync(path, JSON.stringify(report, null, 1));
  return path;
}
