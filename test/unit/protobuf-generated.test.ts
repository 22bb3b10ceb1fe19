import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const generated = 'src/protocol/gen/client_pb.ts';

describe('the committed protobuf codec', () => {
  it('is what `npm run gen:proto` makes from the vendored client.proto (offline, local plugin)', () => {
    const out = mkdtempSync(join(tmpdir(), 'supernova-proto-'));
    try {
      const bin = join(root, 'node_modules', '.bin');
      execFileSync(join(bin, 'buf'), ['generate', '-o', out], { cwd: root, env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` }, stdio: 'pipe', timeout: 60_000 });
      expect(readFileSync(join(out, generated), 'utf8')).toBe(readFileSync(join(root, generated), 'utf8'));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
