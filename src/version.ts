import { readFileSync } from 'node:fs';

/** The package version, found by walking up from this module (it runs from src/ under tsx and from dist/src/ when built). */
export function packageVersion(): string {
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'supernova' && pkg.version) return pkg.version;
    } catch {
      // not here; look one level up
    }
    if (dir.pathname === '/') return '0.0.0';
  }
}
