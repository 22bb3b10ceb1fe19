import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoadtestResult } from '../loadtest/result.js';
import { resultCharts } from './charts.js';
import { reportHtml } from './html.js';
import { renderPng, renderSvg } from './render.js';

export interface WrittenReport {
  dir: string;
  json: string;
  html: string;
  pngs: string[];
}

/**
 * Writes `result.json`, `report.html` (self-contained, inline SVG charts) and `charts/*.png`
 * into `dir`. The JSON goes first, so a failure while charting still leaves the figures.
 */
export async function writeReport(result: LoadtestResult, dir: string): Promise<WrittenReport> {
  await mkdir(join(dir, 'charts'), { recursive: true });
  const json = join(dir, 'result.json');
  await writeFile(json, `${JSON.stringify(result, null, 2)}\n`);
  const charts: { title: string; svg: string }[] = [];
  const pngs: string[] = [];
  for (const c of resultCharts(result)) {
    const svg = await renderSvg(c.spec);
    charts.push({ title: c.title, svg });
    const png = join(dir, 'charts', `${c.name}.png`);
    await writeFile(png, renderPng(svg));
    pngs.push(png);
  }
  const html = join(dir, 'report.html');
  await writeFile(html, reportHtml(result, charts));
  return { dir, json, html, pngs };
}
