import type { Sql } from 'postgres';

/**
 * A COPY ... FROM STDIN that did not complete: the server refused the data (a duplicate key, a bad
 * value) or the connection went. postgres.js 3.4 passes on neither the server's reason nor the
 * outcome of a failed COPY (porsager/postgres issue 1173), so this says what failed, not why.
 */
export class CopyAborted extends Error {
  constructor(what: string) {
    super(`${what} did not complete: the server refused the data or the connection was lost (postgres.js does not pass on which)`);
    this.name = 'CopyAborted';
  }
}

/**
 * Runs `statement` (a COPY ... FROM STDIN) with `payload` as its data, on `sql`, which must be a
 * pool of ONE connection (Database.bulk). Resolves true once the server has stored all of it, and
 * false when the COPY did not complete (then nothing of it is stored: one statement, one
 * transaction); rejects when the database does not answer at all.
 *
 * Why not just wait for the writable's 'finish': postgres.js 3.4 calls it only on success; on a
 * server error after the data was sent, or a connection lost then, it never settles (issue 1173).
 * So a `select 1` follows the COPY: on a one-connection pool it is answered after the COPY is
 * over, whichever way it went, and by then the final step has been called back if the COPY
 * succeeded. If the connection was lost, postgres.js sends the `select 1` on a new one, and it
 * never was.
 *
 * The outcome is read at the check's row, not after it: after a failed COPY postgres.js keeps the
 * final callback and calls it at the NEXT command's completion — the check's own — so a flag read
 * once the check has resolved would say "stored" either way. The row comes before that.
 */
export async function copyIn(sql: Sql, statement: string, payload: string): Promise<boolean> {
  const writable = await sql.unsafe(statement).writable();
  let stored = false;
  // 'prefinish' is emitted as postgres.js calls the final step back (the server's CommandComplete).
  const done = (): void => { stored = true; };
  writable.once('prefinish', done);
  writable.once('finish', done);
  // A refused COPY destroys the writable with the server's error; the outcome is read below.
  writable.on('error', () => {});
  try {
    await new Promise<void>((resolve, reject) => writable.write(payload, (err) => (err ? reject(err) : resolve())));
    // Nothing is left to write, so end() runs postgres.js's final step (CopyDone) before it
    // returns: the check below is queued after the COPY, not refused as "a query during COPY".
    writable.end();
  } catch {
    // Refused while the data was still being sent, or the connection went: not stored.
  }
  let storedAtCheck = false;
  await sql`select 1`.forEach(() => {
    storedAtCheck = stored;
  });
  return storedAtCheck;
}
