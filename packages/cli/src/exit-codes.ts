/**
 * The exit codes of `harmont`, in one table: the help text and the README are written from it,
 * so a script can rely on what they say.
 */

export const ExitCode = {
  /** The command did what it was asked. */
  ok: 0,
  /** Not logged in, session expired or revoked, a wrong code three times, or another failure. */
  failure: 1,
  /** Bad usage: an unknown command or flag, or a bad value. */
  usage: 2,
  /** The login was denied in the browser (the browser handoff, or the device page). */
  denied: 3,
  /** The login timed out: nobody answered in the browser before `--timeout`, or the device code expired. */
  timedOut: 4,
  /** The server could not be reached (for `logout`: the local token was deleted anyway). */
  unreachable: 5,
  /** No terminal and no other way to finish the login (see `--with-token`, `HARMONT_TOKEN`, `--paste`, `--device`). */
  needsTerminal: 6,
  /** Interrupted (Ctrl-C). */
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Each code with a one-line meaning, for `--help` and the README. */
export const exitCodeMeanings: ReadonlyArray<{ code: ExitCodeValue; meaning: string }> = [
  { code: ExitCode.ok, meaning: "success" },
  { code: ExitCode.failure, meaning: "failure: not logged in, session expired or revoked, wrong code three times, server error" },
  { code: ExitCode.usage, meaning: "usage error: unknown command or flag, bad value" },
  { code: ExitCode.denied, meaning: "login denied in the browser" },
  { code: ExitCode.timedOut, meaning: "login timed out (nobody answered before --timeout, or the device code expired)" },
  { code: ExitCode.unreachable, meaning: "server unreachable (logout still deletes the local token)" },
  { code: ExitCode.needsTerminal, meaning: "no terminal and no other way to finish: use --with-token, HARMONT_TOKEN, --paste or --device" },
  { code: ExitCode.interrupted, meaning: "interrupted (Ctrl-C)" },
];
