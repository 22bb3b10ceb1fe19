/**
 * What a browser's `Origin` is: `scheme://host[:port]`, never a path. A header of another shape
 * (a path, `null` from a sandboxed page or a file) matches no pattern but `*`.
 */
const ORIGIN_SHAPE = /^[a-z][a-z0-9+.-]*:\/\/[^/\s]+$/;

/** Why a SUPERNOVA_ALLOWED_ORIGINS entry is no origin pattern, or undefined when it is one. */
export function originPatternProblem(pattern: string): string | undefined {
  if (pattern === '*') return undefined;
  if (!ORIGIN_SHAPE.test(pattern.toLowerCase())) {
    return `${JSON.stringify(pattern)} is not an origin: each entry is scheme://host[:port] with no path (https://app.example.com), where * stands for any characters (https://*.example.com), or * alone for any origin`;
  }
  return undefined;
}

/**
 * Which browser pages may open connections, as Centrifugo's `client.allowed_origins`: a request
 * without `Origin` (not a browser: SDKs in Node, curl, servers) and one from the server's own
 * host pass; any other origin must match a pattern. Matching is case-insensitive, `*` standing
 * for any run of characters.
 */
export class OriginPolicy {
  private readonly any: boolean;
  private readonly patterns: readonly string[];

  constructor(patterns: readonly string[]) {
    this.any = patterns.includes('*');
    this.patterns = patterns.map((p) => p.toLowerCase());
  }

  /** `origin` and `host` as the request's headers hold them ('' when absent). */
  allows(origin: string, host: string): boolean {
    if (origin === '' || this.any) return true;
    if (sameHost(origin, host)) return true;
    const o = origin.toLowerCase();
    if (!ORIGIN_SHAPE.test(o)) return false;
    for (const p of this.patterns) if (globMatch(p, o)) return true;
    return false;
  }
}

/** The page was served by this server (under the name the request reached it by), whatever the scheme a proxy changed. */
function sameHost(origin: string, host: string): boolean {
  if (host === '') return false;
  const at = origin.indexOf('://');
  return at > 0 && origin.length - at - 3 === host.length && origin.slice(at + 3).toLowerCase() === host.toLowerCase();
}

/**
 * `*`-only glob, by backtracking to the last star alone: at most pattern × input steps, so no
 * origin a client makes up can stall the event loop (a regular expression of several `.*` could).
 */
export function globMatch(pattern: string, input: string): boolean {
  let p = 0;
  let i = 0;
  let star = -1;
  let resume = 0;
  while (i < input.length) {
    if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = i;
    } else if (p < pattern.length && pattern[p] === input[i]) {
      p++;
      i++;
    } else if (star >= 0) {
      p = star + 1;
      i = ++resume;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}
