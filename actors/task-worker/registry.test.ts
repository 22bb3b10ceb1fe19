import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { UnavailableTaskTypeError, UnknownTaskTypeError } from './errors.js';
import { TaskRegistry } from './registry.js';

describe('TaskRegistry', () => {
  it('refuses a type marked unavailable with its reason, lists it nowhere, and lets register() make it available', () => {
    const r = new TaskRegistry().register('a.known', { schema: z.object({}), run: () => 1 }).unavailable('b.absent', 'it needs SETTING_X');
    expect(r.has('b.absent')).toBe(false);
    expect(r.types()).toEqual(['a.known']);
    expect(() => r.get('b.absent')).toThrow(UnavailableTaskTypeError);
    expect(() => r.parse('b.absent', {})).toThrow('task type b.absent is not available on this engine: it needs SETTING_X');
    expect(() => r.get('c.other')).toThrow(UnknownTaskTypeError);
    // A registered type is never shadowed by a later mark.
    r.unavailable('a.known', 'ignored');
    expect(r.get('a.known')).toBeDefined();
    r.register('b.absent', { schema: z.object({}), run: () => 2 });
    expect(r.has('b.absent')).toBe(true);
    expect(r.types()).toEqual(['a.known', 'b.absent']);
  });
});
