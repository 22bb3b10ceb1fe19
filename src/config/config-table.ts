import { configEntries, loadConfig } from './schema.js';

/** The README's configuration table, rendered from the schema; a test keeps the README in step. */
export function renderConfigTable(): string {
  const defaults = loadConfig({}) as unknown as Record<string, unknown>;
  const rows = Object.entries(configEntries).map(([key, e]) => {
    const v = defaults[key];
    const shown = 'shownDefault' in e ? e.shownDefault
      : key === 'namespaces' ? 'see below' : v === undefined ? '(unset)' : `\`${Array.isArray(v) ? v.join(',') : String(v)}\``;
    return `| \`${e.env}\` | ${shown} | ${e.doc} |`;
  });
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}
