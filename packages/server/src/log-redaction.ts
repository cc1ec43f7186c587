/**
 * What never reaches a log line: redaction by what a value is, not by what a field is called.
 *
 * Fields that hold nothing but secrets (passwords, tokens, nonces, cookies, authorization
 * headers) are cut by name. Every other string is scanned for the shapes of the secrets the
 * server hands out: session tokens and the other prefixed secrets, 256-bit values such as CLI
 * nonces, paste codes, and values that are exactly an emailed code. So a database error's `code`
 * (`ECONNREFUSED`, `57P01`) stays readable, while a secret that slipped into a message does not.
 */
import type pino from "pino";

export const REDACTED = "[redacted]";

/** Fields whose value is a secret whatever it looks like. */
const secretFieldNames = ["password", "token", "nonce", "secret", "authorization", "cookie"];

export const secretFieldPaths: string[] = [
  ...secretFieldNames,
  ...secretFieldNames.map((name) => `*.${name}`),
  "req.headers.authorization",
  "req.headers.cookie",
];

const crockford = "[0-9A-HJKMNP-TV-Z]";
const secretShapes = new RegExp(
  [
    // Prefixed secrets: session tokens and the other 256-bit handles.
    String.raw`\b[a-z]{3}_[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])`,
    // A bare 256-bit base64url value (a CLI nonce; SHA-256 hashes share the shape and go too).
    String.raw`(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])`,
    // A paste code, with or without its dashes.
    String.raw`\b${crockford}{4}-?${crockford}{4}-?${crockford}{4}-?${crockford}{4}\b`,
    // The bearer scheme's credential, whatever it is.
    String.raw`\bBearer\s+\S+`,
  ].join("|"),
  "g",
);
const emailCodeValue = /^\d{8}$/;

/**
 * Marks a log object that skips the scan: the access line (fixed fields, free of secrets, on the
 * hot path) and development's logged mail (which shows its codes on purpose, as no mail is sent).
 */
export const knownSafeLogLine = Symbol("harmont.known-safe-log-line");

function scrubString(value: string): string {
  if (emailCodeValue.test(value)) return REDACTED;
  secretShapes.lastIndex = 0;
  return secretShapes.test(value) ? value.replace(secretShapes, REDACTED) : value;
}

/** A copy of `value` with every secret-shaped string replaced; objects are walked a few levels deep. */
export function scrubSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return scrubString(value);
  if (value === null || typeof value !== "object" || depth > 6) return value;
  if (Array.isArray(value)) return value.map((item) => scrubSecrets(item, depth + 1));
  if (value instanceof Error) return scrubSecrets({ type: value.name, message: value.message, stack: value.stack }, depth);
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = scrubSecrets(item, depth + 1);
  return copy;
}

/** The logger options that apply all of the above. */
export function redactionOptions(): Pick<pino.LoggerOptions, "redact" | "formatters" | "hooks"> {
  return {
    redact: { paths: secretFieldPaths, censor: REDACTED },
    formatters: {
      log(object) {
        return (object as { [knownSafeLogLine]?: boolean })[knownSafeLogLine] ? object : (scrubSecrets(object) as Record<string, unknown>);
      },
    },
    hooks: {
      // The message string too: `logger.warn(\`…${value}\`)` must not carry a secret either.
      logMethod(args, method) {
        if ((args[0] as { [knownSafeLogLine]?: boolean } | undefined)?.[knownSafeLogLine]) return method.apply(this, args);
        const scrubbed = args.map((argument) => (typeof argument === "string" ? scrubString(argument) : argument));
        return method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
  };
}
