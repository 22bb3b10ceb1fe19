import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { renderConfigTable } from '../../src/config/index.js';

describe('README', () => {
  it('carries the configuration table generated from the schema', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(renderConfigTable());
  });
});
