import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { configEntries } from '../../src/config/index.js';
import { repoFile } from '../support/deploy-files.js';

/**
 * deploy/Dockerfile, linted and read as Docker reads it: this machine has no Docker daemon (nor
 * the base image), so the image is never built here. dockerfile-utils is the linter of the
 * Docker language server; dockerfile-ast its parser.
 */
const text = readFileSync(repoFile('deploy/Dockerfile'), 'utf8');
const dockerfile = DockerfileParser.parse(text);
const instructions = dockerfile.getInstructions();

/** The instructions of each stage, FROM first. */
const stages: Instruction[][] = [];
for (const i of instructions) {
  if (i.getKeyword() === 'FROM') stages.push([i]);
  else stages.at(-1)?.push(i);
}
const final = stages.at(-1) ?? [];
const of = (stage: Instruction[], keyword: string) => stage.filter((i) => i.getKeyword() === keyword);
const args = (i: Instruction) => i.getArgumentsContent() ?? '';

describe('deploy/Dockerfile', () => {
  it('passes the Dockerfile linter with no diagnostic', () => {
    expect(validate(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  it('is multi-stage, every stage on Node 20 slim', () => {
    const froms = dockerfile.getFROMs();
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) {
      expect(from.getImageName()).toBe('node');
      expect(from.getImageTag()).toMatch(/^20-[a-z]+-slim$/);
    }
    expect(froms.at(-1)?.getImageTag()).toMatch(/^20-[a-z]+-slim$/);
  });

  it('copies from earlier stages only', () => {
    const names = dockerfile.getFROMs().map((f) => f.getBuildStage());
    dockerfile.getCOPYs().forEach((copy) => {
      const from = copy.getFromFlag()?.getValue();
      if (from === undefined || from === null) return;
      const stage = stages.findIndex((s) => s.includes(copy));
      expect(names.slice(0, stage)).toContain(from);
    });
    expect(dockerfile.getCOPYs().some((c) => final.includes(c) && c.getFromFlag() !== null)).toBe(true);
  });

  it('builds what tsconfig.build.json compiles, from files that exist and the context keeps', () => {
    const build = stages[0] ?? [];
    const ignored = readFileSync(repoFile('deploy/Dockerfile.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    const sources = dockerfile.getCOPYs()
      .filter((c) => c.getFromFlag() === null)
      .flatMap((c) => c.getArguments().slice(0, -1).map((a) => a.getValue()));
    for (const source of sources) {
      expect(existsSync(repoFile(source)), `${source} exists`).toBe(true);
      expect(ignored.filter((p) => p === source || p === `**/${source}`), `${source} is not in the .dockerignore`).toEqual([]);
    }
    const include = (JSON.parse(readFileSync(repoFile('tsconfig.build.json'), 'utf8')) as { include: string[] }).include;
    for (const dir of include) expect(sources).toContain(dir);
    expect(of(build, 'RUN').map(args)).toContain('npm run build');
  });

  it('installs production dependencies only in the final stage, with npm ci', () => {
    const runs = of(final, 'RUN').map(args);
    expect(runs.some((r) => /\bnpm ci\b[^&|;]*--omit=dev/.test(r))).toBe(true);
    expect(runs.filter((r) => /\bnpm (install|i)\b/.test(r))).toEqual([]);
  });

  it('carries the sentiment model where the engine looks for it by default', () => {
    const modelDir = configEntries.mlModelDir.schema.parse(undefined);
    const copied = of(final, 'COPY').map((c) => c.getArguments().map((a) => a.getValue())).filter((a) => a.length === 2);
    // WORKDIR /app: the model's relative default resolves under it.
    expect(copied.some(([from, to]) => modelDir.startsWith(`${from}/`) && (to === `./${from}` || to === `/app/${from}`))).toBe(true);
    expect(existsSync(repoFile(`${modelDir}/model.json`))).toBe(true);
  });

  it('runs as an unprivileged user', () => {
    const users = of(final, 'USER').map(args);
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)?.split(':')[0];
    expect(user).not.toMatch(/^(root|0)$/);
    const userAt = final.indexOf(of(final, 'USER').at(-1) as Instruction);
    expect(final.indexOf(of(final, 'CMD')[0] as Instruction)).toBeGreaterThan(userAt);
  });

  it('has a HEALTHCHECK on the liveness endpoint, of the port it exposes', () => {
    const health = dockerfile.getHEALTHCHECKs().filter((h) => final.includes(h));
    expect(health).toHaveLength(1);
    const flags = new Map(health[0]?.getFlags().map((f) => [f.getName(), f.getValue()]));
    expect(flags.get('interval')).toMatch(/^\d+s$/);
    expect(flags.get('timeout')).toMatch(/^\d+s$/);
    const content = args(health[0] as Instruction);
    expect(content).toMatch(/^CMD \[/);
    expect(content).toContain('/performance/health/live');
    expect(content).toContain('process.env.SUPERNOVA_PORT');
    const env = new Map(dockerfile.getENVs().flatMap((e) => e.getProperties().map((p) => [p.getName(), p.getValue()] as const)));
    expect(of(final, 'EXPOSE').map(args)).toEqual([env.get('SUPERNOVA_PORT')]);
  });

  it('carries no secret, and only settings the engine knows', () => {
    const known = new Set<string>(Object.values(configEntries).map((e) => e.env));
    const names = [...dockerfile.getENVs(), ...dockerfile.getARGs()].flatMap((i) => i.getProperties().map((p) => p.getName()));
    expect(names.filter((n) => /KEY|SECRET|PASSWORD|TOKEN|CREDENTIAL/i.test(n))).toEqual([]);
    expect(names.filter((n) => n.startsWith('SUPERNOVA_') && !known.has(n))).toEqual([]);
    expect(dockerfile.getCOPYs().flatMap((c) => c.getArguments().map((a) => a.getValue())).filter((v) => /(^|\/)\.env|\.pem$|\.key$/.test(v))).toEqual([]);
  });

  it('starts the compiled engine', () => {
    expect(of(final, 'CMD').map(args)).toEqual(['["node", "dist/src/main.js"]']);
    expect(existsSync(repoFile('src/main.ts'))).toBe(true);
  });
});
