/**
 * Email addresses: compared in one normal form (trimmed, NFKC, lower case), and accepted only in a
 * shape that displays as what it is and that a mail server delivers to that same address.
 */
export function normalizeEmail(email: string): string {
  return email.trim().normalize("NFKC").toLowerCase();
}

// Characters that change how an address looks or where mail goes without being seen: control
// and format characters (NUL, DEL, zero-width space, soft hyphen, bidirectional overrides),
// separators, and lone surrogates. A mail server may drop them, so an address holding one could
// receive the mail of the address without it.
const invisibleOrControl = /[\p{Cc}\p{Cf}\p{Z}\p{Cs}\p{Co}]/u;
// The local part: dot-separated atoms, without the characters that need quoting in SMTP.
const localPart = /^[^\s"(),:;<>@[\\\].]+(?:\.[^\s"(),:;<>@[\\\].]+)*$/u;
// A domain label: letters (any script), digits and inner hyphens.
const domainLabel = /^[\p{L}\p{N}\p{M}](?:[\p{L}\p{N}\p{M}-]{0,61}[\p{L}\p{N}\p{M}])?$/u;

/**
 * Whether a normalised address has a deliverable shape: one `@`, a local part of 1–64 characters,
 * a domain of at least two labels with a non-numeric top level, 254 characters at most, and
 * nothing invisible. Still loose on purpose: the real check is a code sent to it.
 */
export function isPlausibleEmail(email: string): boolean {
  if (email.length > 254 || invisibleOrControl.test(email)) return false;
  const at = email.lastIndexOf("@");
  if (at <= 0 || email.indexOf("@") !== at) return false;
  const local = email.slice(0, at);
  const labels = email.slice(at + 1).split(".");
  if (local.length > 64 || !localPart.test(local)) return false;
  if (labels.length < 2 || !labels.every((label) => domainLabel.test(label))) return false;
  return !/^\d+$/.test(labels.at(-1)!);
}

/** `a***@example.com`: enough for the rightful person to recognise, little for anyone else. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf("@");
  if (at <= 0) return "***";
  return `${email.slice(0, 1)}***${email.slice(at)}`;
}
