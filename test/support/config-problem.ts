import { expect } from 'vitest';
import { ConfigError, loadConfig } from '../../src/index.js';

/** The ConfigError's message for these variables (the test fails if they load). */
export function configProblem(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`loaded: ${JSON.stringify(env)}`);
}
