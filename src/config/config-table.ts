import { configEntries, loadConfig } from './schema.js';

/** The README's configuration table, rendered from the schema; a test keeps the README in step. */
export function renderConfigTable(): string {
  const defaults = loadConfig({}) as unknown as Record<string, unknown>;
  const rows = Object.entries(configEntries).map(([key, e]) => {
    const v = defaults[key];
    // A default computed from the machine is described, not printed: the README must not depend on where it was rendered.
    const described = (e as { shownDefault?: string }).shownDefault;
    const shown = described !== undefined ? described : key === 'namespaces' ? 'see below' : v === undefined ? '(unset)' : `\`${Array.isArray(v) ? v.join(',') : String(v)}\``;
    return `| \`${e.env}\` | ${shown} | ${e.doc} |`;
  });
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}
