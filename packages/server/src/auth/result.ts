/** Expected misses are values, not exceptions: a tagged result the route maps to an error code. */
export type Result<Failure extends string, Value = undefined> = { ok: true; value: Value } | { ok: false; failure: Failure };

export const ok = <Value>(value: Value): { ok: true; value: Value } => ({ ok: true, value });
export const fail = <Failure extends string>(failure: Failure): { ok: false; failure: Failure } => ({ ok: false, failure });
