/** Expected misses are values, not exceptions: a tagged result the route maps to an error code. */
export type Result<Failure extends string, Value = undefined> = { ok: true; value: Value } | { ok: false; failure: Failure };

export const ok = <Value>(value: Value): { ok: true; value: Value } => ({ ok: true, value });
export const fail = <Failure extends string>(failure: Failure): { ok: false; failure: Failure } => ({ ok: false, failure });

/** Carries a failure out of a transaction so that the transaction rolls back. */
class RolledBack<Failure extends string> extends Error {
  constructor(readonly failure: Failure) {
    super(`rolled back: ${failure}`);
  }
}

/**
 * Runs `work` in one transaction that commits only when it answers `ok`: a failure rolls every
 * write of it back (a code marked used stays unused when the sign-in it was for was lost).
 */
export async function inTransactionUnlessFailed<Store extends { transaction<T>(work: (store: Store) => Promise<T>): Promise<T> }, Failure extends string, Value>(
  store: Store,
  work: (store: Store) => Promise<Result<Failure, Value>>,
): Promise<Result<Failure, Value>> {
  try {
    return await store.transaction(async (transaction) => {
      const result = await work(transaction);
      if (!result.ok) throw new RolledBack(result.failure);
      return result;
    });
  } catch (error) {
    if (error instanceof RolledBack) return fail(error.failure as Failure);
    throw error;
  }
}
