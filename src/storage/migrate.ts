import type { Sql } from 'postgres';
import { StorageError } from './errors.js';
import { migrations as builtIn, type Migration } from './migrations.js';

/**
 * Two engines starting at once must not apply a version twice: the first takes this
 * session-level advisory lock and the second waits for it, then finds the versions applied.
 */
const MIGRATION_LOCK = 0x5375_7065; // "Supe"

export interface MigrationReport {
  applied: number[];
  current: number;
}

/**
 * Applies every version not yet applied, in order, in one transaction under the lock: either all
 * of them apply or none does, and a failed version names itself.
 */
export async function migrate(sql: Sql, migrations: readonly Migration[] = builtIn): Promise<MigrationReport> {
  const applied: number[] = [];
  await sql.begin(async (tx) => {
    // A transaction-scoped lock: released with the transaction, even if the process dies in it.
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`create table if not exists schema_migrations (version integer primary key, name text not null, applied_at timestamptz not null default now())`;
    const done = new Set((await tx<{ version: number }[]>`select version from schema_migrations`).map((r) => r.version));
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      try {
        await tx.savepoint(async (sp) => {
          if ('apply' in m) await m.apply(sp);
          else await sp.unsafe(m.sql);
          await sp`insert into schema_migrations (version, name) values (${m.version}, ${m.name})`;
        });
      } catch (err) {
        throw new StorageError('MIGRATION_FAILED', `migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(m.version);
    }
  });
  const [row] = await sql<{ current: number | null }[]>`select max(version) as current from schema_migrations`;
  return { applied, current: row?.current ?? 0 };
}
