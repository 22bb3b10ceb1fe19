import { describe, expect, it } from 'vitest';
import { ExtraFigures } from './extra-figures.js';

describe('ExtraFigures', () => {
  it('reads every provider by name; a throwing one shows its error; unregister removes it', () => {
    const extra = new ExtraFigures();
    let hits = 0;
    const offCache = extra.register('cache', () => ({ hits: ++hits }));
    extra.register('models', () => {
      throw new Error('replica down');
    });
    expect(extra.read()).toEqual({ cache: { hits: 1 }, models: { error: 'replica down' } });
    offCache();
    expect(extra.read()).toEqual({ models: { error: 'replica down' } });
  });

  it('a provider whose figures are not JSON shows an error instead', () => {
    const extra = new ExtraFigures();
    extra.register('big', () => ({ n: 1n }));
    extra.register('none', () => undefined);
    const read = extra.read();
    expect(read.big).toEqual({ error: expect.stringContaining('BigInt') as unknown });
    expect(read.none).toBeNull();
  });

  it('an old unregister does not remove a newer provider of the same name', () => {
    const extra = new ExtraFigures();
    const off = extra.register('tasks', () => 1);
    extra.register('tasks', () => 2);
    off();
    expect(extra.read()).toEqual({ tasks: 2 });
  });
});
