/** Email addresses are compared in one normal form: trimmed, NFKC, lower case. */
export function normalizeEmail(email: string): string {
  return email.trim().normalize("NFKC").toLowerCase();
}

// Deliberately loose (one @, a dot in the domain, no spaces): the only real check is a mail.
const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function isPlausibleEmail(email: string): boolean {
  return email.length <= 254 && emailPattern.test(email);
}
