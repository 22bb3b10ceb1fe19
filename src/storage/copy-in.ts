import type { TransactionSql } from 'postgres';

/**
 * A COPY ... FROM STDIN the server refused (a duplicate key, a bad value), which aborted its
 * transaction. postgres.js 3.4 loses the server's own message on this path (porsager/postgres
 * issue 1173: the writable never settles), so this says what failed, not why.
 */
export class CopyAborted extends Error {
  constructor(statement: string, options?: { cause?: unknown }) {
    super(`${statement} was refused by the server and rolled back (postgres.js does not pass on the server's reason for a failed COPY)`, options);
    this.name = 'CopyAborted';
  }
}

/** SQLSTATE 25P02: in_failed_sql_transaction. */
const IN_FAILED_TRANSACTION = '25P02';

/**
 * Runs `statement` (a COPY ... FROM STDIN) inside `tx` with `payload` as its data, and resolves
 * once the server has taken all of it, or rejects: CopyAborted when the server refused the data,
 * the connection's error when it was lost.
 *
 * Why not wait for the writable's 'finish': postgres.js 3.4 calls it back only on success; on a
 * server error after the data was sent, and on a connection lost then, it never settles and the
 * transaction never ends (the issue above). So after the data the same transaction runs one more
 * statement: it is queued behind the COPY on the connection, and answers only after the COPY has
 * — with 25P02 if the COPY failed (the transaction is aborted), with a connection error if the
 * connection went, and with a row otherwise.
 */
export async function copyIn(tx: TransactionSql, statement: string, payload: string): Promise<void> {
  const writable = await tx.unsafe(statement).writable();
  // Errors also reach the check below; a listener keeps an early one from being an uncaught 'error'.
  writable.on('error', () => {});
  const what = statement.split(' from ')[0] ?? statement;
  try {
    await new Promise<void>((resolve, reject) => writable.write(payload, (err) => (err ? reject(err) : resolve())));
  } catch (err) {
    // The server refused the data while it was still being sent: postgres.js destroys the writable with its error.
    if ((err as Error).name === 'PostgresError') throw new CopyAborted(what, { cause: err });
    throw err;
  }
  // With nothing left to write, end() runs postgres.js's final step (CopyDone) before it returns,
  // so the check is sent after it rather than refused as "a query during COPY".
  writable.end();
  try {
    await tx`select 1`;
  } catch (err) {
    if ((err as { code?: string }).code === IN_FAILED_TRANSACTION) throw new CopyAborted(what, { cause: err });
    throw err;
  }
}
