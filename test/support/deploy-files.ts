import { readFileSync } from 'node:fs';
import type { SupernovaConfig } from '../../src/config/index.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

/** The repository's root, for the files under deploy/. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function repoFile(path: string): string {
  return join(ROOT, path);
}

/** Every YAML document of a file, as plain values; a syntax error throws, naming the file. */
export function readYaml(path: string): unknown[] {
  const docs = parseAllDocuments(readFileSync(repoFile(path), 'utf8'), { merge: true });
  const broken = docs.flatMap((d) => d.errors.map((e) => e.message));
  if (broken.length > 0) throw new Error(`${path}: ${broken.join('; ')}`);
  return docs.map((d) => d.toJS() as unknown);
}

const PROMQL_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

/**
 * The metric names a PromQL expression reads. What is not a metric name is removed first: Grafana
 * variables, string literals, label matchers, range and subquery brackets, grouping label lists;
 * then every identifier left that is not a function call, a keyword or a number is a metric.
 */
export function promqlMetricNames(expr: string): string[] {
  const stripped = expr
    .replace(/\$\{?\w+\}?/g, ' ')
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w.])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()/g)) {
    const name = m[1] as string;
    if (!PROMQL_KEYWORDS.has(name.toLowerCase())) names.add(name);
  }
  return [...names];
}

/**
 * The series names a Prometheus text exposition offers: each HELP line's metric, and for
 * histograms and summaries the series Prometheus stores for them (_bucket, _sum, _count).
 */
export function exposedMetricNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^# HELP (\S+)/gm)) names.add(m[1] as string);
  for (const m of text.matchAll(/^# TYPE (\S+) (histogram|summary)$/gm)) {
    const base = m[1] as string;
    for (const suffix of m[2] === 'histogram' ? ['_bucket', '_sum', '_count'] : ['_sum', '_count']) names.add(base + suffix);
  }
  return names;
}

/**
 * The longest an engine takes from SIGTERM to its exit under a configuration: the drain delay,
 * the grace clients get to read 3001, the log flush, and the margin src/main.ts allows beyond
 * them before it exits 1 (read from there, so a change to it reaches the deployment checks).
 */
export function shutdownBoundMs(config: SupernovaConfig): number {
  const margin = /SHUTDOWN_MARGIN_MS = ([\d_]+)/.exec(readFileSync(repoFile('src/main.ts'), 'utf8'))?.[1];
  if (margin === undefined) throw new Error('src/main.ts no longer states SHUTDOWN_MARGIN_MS: update shutdownBoundMs with the exit deadline');
  return config.drainDelayMs + config.shutdownGraceMs + config.logFlushMs + Number(margin.replaceAll('_', ''));
}
