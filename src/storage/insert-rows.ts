import type { ParameterOrJSON, Sql } from 'postgres';

/** A row as the sinks build it: a column's value by name. */
export type InsertRow = Record<string, ParameterOrJSON<never>>;

/** The parameters one statement may carry: PostgreSQL counts them in 16 bits, and postgres.js refuses more than 65,534. */
const MAX_PARAMETERS = 65_534;

/**
 * Rows into `table` in as few multi-row statements as the parameter bound allows, each
 * `on conflict do nothing` (idempotent on whatever key the table has), not in a transaction: a
 * statement repeated after a failure stores nothing twice (see Database.bulk for why the sinks
 * avoid transactions).
 */
export async function insertRows(sql: Sql, table: string, rows: readonly InsertRow[], columns: readonly string[]): Promise<void> {
  const perStatement = Math.floor(MAX_PARAMETERS / columns.length);
  for (let i = 0; i < rows.length; i += perStatement) {
    await sql`insert into ${sql(table)} ${sql(rows.slice(i, i + perStatement), ...columns)} on conflict do nothing`;
  }
}
