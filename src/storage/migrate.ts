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
 * Whether an error ended the connection itself (the server's FATAL, a closed or reset socket):
 * nothing more may be written on it, not even a ROLLBACK (see migrate()).
 */
function endedConnection(err: unknown): boolean {
  const e = err as { code?: unknown; severity?: unknown };
  if (e.severity === 'FATAL' || e.severity === 'PANIC') return true;
  return typeof e.code === 'string' && (e.code.startsWith('CONNECTION_') || e.code === 'CONNECT_TIMEOUT' || /^E[A-Z]+$/.test(e.code));
}

/**
 * Applies every version not yet applied, in order, in one transaction under the lock: either all
 * of them apply or none does, and a failed version names itself.
 *
 * The transaction is written by hand on a reserved connection, not with sql.begin(): when the
 * connection dies inside sql.begin(), postgres.js sends its own ROLLBACK on the dead socket and
 * that throws from a timer, past every catch (postgres.js #1208), which would end the process of
 * an engine migrating in the background. Only a live connection is sent a ROLLBACK (the server
 * rolled back a dead one's work when it went) or given back: postgres.js would hand a released
 * dead connection to the next query, which throws the same way. The pool then stays one
 * connection short and its end() waits for it, so migrate on a pool of its own, ended with a
 * timeout (Database does).
 */
export async function migrate(sql: Sql, migrations: readonly Migration[] = builtIn): Promise<MigrationReport> {
  const applied: number[] = [];
  const tx = await sql.reserve();
  let alive = true;
  try {
    await tx`begin`;
    // A transaction-scoped lock: released with the transaction, even if the process dies in it.
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`create table if not exists schema_migrations (version integer primary key, name text not null, applied_at timestamptz not null default now())`;
    const done = new Set((await tx<{ version: number }[]>`select version from schema_migrations`).map((r) => r.version));
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      try {
        if ('apply' in m) await m.apply(tx);
        else await tx.unsafe(m.sql);
        await tx`insert into schema_migrations (version, name) values (${m.version}, ${m.name})`;
      } catch (err) {
        throw new StorageError('MIGRATION_FAILED', `migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(m.version);
    }
    await tx`commit`;
  } catch (err) {
    alive = !endedConnection(err instanceof StorageError ? err.cause : err);
    if (alive) await tx`rollback`.catch(() => undefined);
    throw err;
  } finally {
    if (alive) tx.release();
  }
  const [row] = await sql<{ current: number | null }[]>`select max(version) as current from schema_migrations`;
  return { applied, current: row?.current ?? 0 };
}
