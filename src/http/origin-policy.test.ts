import { describe, expect, it } from 'vitest';
import { globMatch, OriginPolicy, originPatternProblem } from './origin-policy.js';

describe('OriginPolicy', () => {
  const policy = new OriginPolicy(['https://app.example.com', 'https://*.example.org', 'http://localhost:*']);

  it('lets in requests without Origin and from the server\'s own host', () => {
    expect(policy.allows('', 'api.example.net')).toBe(true);
    expect(policy.allows('https://api.example.net', 'api.example.net')).toBe(true);
    expect(policy.allows('http://API.example.net:8081', 'api.example.net:8081')).toBe(true);
    expect(policy.allows('https://api.example.net', 'api.example.net:8081')).toBe(false);
    expect(policy.allows('https://api.example.net', '')).toBe(false);
  });

  it('matches the list, case aside, * standing for any characters', () => {
    expect(policy.allows('https://app.example.com', 'x')).toBe(true);
    expect(policy.allows('https://App.Example.COM', 'x')).toBe(true);
    expect(policy.allows('https://a.b.example.org', 'x')).toBe(true);
    expect(policy.allows('http://localhost:3000', 'x')).toBe(true);
    expect(policy.allows('https://example.org', 'x')).toBe(false);
    expect(policy.allows('https://app.example.com.evil', 'x')).toBe(false);
    expect(policy.allows('https://evil.test/.example.org', 'x')).toBe(false);
    expect(policy.allows('null', 'x')).toBe(false);
  });

  it('* alone lets any origin in', () => {
    expect(new OriginPolicy(['*']).allows('null', 'x')).toBe(true);
    expect(new OriginPolicy([]).allows('https://a.test', 'x')).toBe(false);
  });

  it('a made-up origin against many stars takes pattern × input steps, not exponential time', () => {
    const started = performance.now();
    expect(globMatch('*a*a*a*a*a*a*a*b', 'a'.repeat(8_000))).toBe(false);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('originPatternProblem', () => {
  it('takes origins and * patterns, refuses paths and bare hosts', () => {
    for (const ok of ['*', 'https://a.example', 'http://*.a.example:8080', 'app://*']) expect(originPatternProblem(ok), ok).toBeUndefined();
    for (const bad of ['a.example', 'https://a.example/', '//a.example', 'https://', 'null']) expect(originPatternProblem(bad), bad).toContain('is not an origin');
  });
});
