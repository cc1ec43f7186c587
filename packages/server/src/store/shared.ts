/** What every table group's store shares: the connection type and a row count. */
import type { Kysely, Transaction } from "kysely";
import type { Database } from "./schema.js";

/** A connection or a transaction: every store works on either. */
export type Connection = Kysely<Database> | Transaction<Database>;

/** The number of rows a write touched, whatever the dialect reports it as. */
export function affected(result: { numDeletedRows?: bigint; numUpdatedRows?: bigint; numInsertedOrUpdatedRows?: bigint | undefined }): number {
  return Number(result.numDeletedRows ?? result.numUpdatedRows ?? result.numInsertedOrUpdatedRows ?? 0n);
}

/** Whether a write failed because a row it points at is gone (a foreign key), on either database. */
export function isForeignKeyViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "23503" || code === "SQLITE_CONSTRAINT_FOREIGNKEY";
}

/** Whether a write failed on a unique index, on either database. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE";
}
