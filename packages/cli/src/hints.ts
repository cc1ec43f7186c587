/**
 * The commands a message tells the person to run next (`harmont login`, `harmont sessions revoke
 * <id>`), written with the flags that keep them on the same login as the command that failed:
 * a hint that drops `--profile work` would log in to the wrong account.
 */

/** The flags a hint must repeat to reach the same profile and server; `null` where none is needed. */
export interface HintTarget {
  /** The profile, when it is not the default one. */
  profile: string | null;
  /** The API URL, when `--api-url` chose it and a command without the flag would use another. */
  apiUrl: string | null;
  /** `--web-url` as it was given, for hints that start a login in the browser or with a code. */
  webUrl: string | null;
}

/** No flags to repeat: the default profile, and the server a command finds by itself. */
export const defaultHintTarget: HintTarget = { profile: null, apiUrl: null, webUrl: null };

/** A word as a POSIX shell reads it: left alone when safe, else in single quotes. */
function shellWord(text: string): string {
  return /^[\w.:/@%+=,-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * `harmont <args>` followed by the flags of `target`, ready to paste into a shell:
 * `harmontCommand({ profile: "work", … }, "login --paste")` is `harmont login --paste --profile work`.
 */
export function harmontCommand(target: HintTarget, args: string): string {
  const flags: string[] = [];
  if (target.profile !== null) flags.push("--profile", shellWord(target.profile));
  if (target.apiUrl !== null) flags.push("--api-url", shellWord(target.apiUrl));
  // The web app only matters to a login that sends someone to it: not to --with-token, nor to
  // --device (the server names its own device page).
  if (target.webUrl !== null && /^login\b/.test(args) && !args.includes("--with-token") && !args.includes("--device")) flags.push("--web-url", shellWord(target.webUrl));
  return ["harmont", args, ...flags].join(" ");
}

/**
 * A command to run, in backticks, with the flags of `target`; `around` adds what the shell line
 * needs on either side (`echo CODE | `, ` < token.txt`).
 */
export function commandHint(target: HintTarget, args: string, around: { before?: string; after?: string } = {}): string {
  return `\`${around.before ?? ""}${harmontCommand(target, args)}${around.after ?? ""}\``;
}
