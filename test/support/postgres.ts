import { randomUUID } from 'node:crypto';
import postgres from 'postgres';

/** The machine's PostgreSQL, as a superuser that may create databases. */
export const POSTGRES_ADMIN_URL = process.env.SUPERNOVA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Whether the test PostgreSQL answers. Locally a missing one skips its tests (and says so);
 * under CI=true it is a failure, so a green CI always means they ran.
 */
export async function postgresReachable(): Promise<boolean> {
  const sql = postgres(POSTGRES_ADMIN_URL, { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    await sql`select 1`;
    return true;
  } catch (err) {
    if (process.env.CI === 'true') throw new Error(`PostgreSQL at ${POSTGRES_ADMIN_URL} is required under CI: ${(err as Error).message}`, { cause: err });
    console.warn(`skipping PostgreSQL tests: no PostgreSQL at ${POSTGRES_ADMIN_URL}`);
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** A database of the test's own, created empty; drop() removes it (after closing what still uses it). */
export async function testDatabase(name: string): Promise<{ url: string; drop(): Promise<void> }> {
  const db = `sntest_${name}_${randomUUID().slice(0, 8)}`.replace(/[^a-z0-9_]/g, '_');
  const admin = postgres(POSTGRES_ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${db}`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${db}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`drop database if exists ${db} with (force)`);
      await admin.end({ timeout: 1 });
    },
  };
}
