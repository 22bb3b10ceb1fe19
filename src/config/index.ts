export { loadConfig, configEntries, type SupernovaConfig, type ConfigOverrides } from './schema.js';
export { ConfigError } from './config-error.js';
export { defaultNamespaces, namespaceSchema, type NamespaceOptions, type NamespaceInput } from './namespaces.js';
export { renderConfigTable } from './config-table.js';
export { openFileBudget, openFileSoftLimit, type OpenFileBudget } from './host-limits.js';
export { HttpRate, httpRateSchema } from './http-rate.js';
