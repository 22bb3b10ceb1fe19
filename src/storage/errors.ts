/** Stable codes of storage failures. */
/** INVALID_QUERY: a read's arguments were refused before anything was sent (the caller's fault). */
export type StorageErrorCode = 'DATABASE_UNREACHABLE' | 'MIGRATION_FAILED' | 'QUERY_FAILED' | 'INVALID_QUERY';

/** A storage failure; a foreign error (postgres.js) is its `cause`. */
export class StorageError extends Error {
  constructor(readonly code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
  }
}

/** The database URL without its password, for messages and logs. */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
