/**
 * What the server tells people by mail: sign-in codes, verification codes, and the notices that a
 * password changed or an API token was made. Plain text and simple HTML; every link is built from the public URL.
 */
import type { Notifier } from "../auth/context.js";
import { escapeHtml } from "../docs/markdown.js";
import type { Mailer } from "./mailer.js";

function render(paragraphs: string[], code?: string): { text: string; html: string } {
  const text = [...paragraphs.slice(0, 1), ...(code ? ["", `    ${code}`, ""] : []), ...paragraphs.slice(1)].join("\n\n").replace(/\n{3,}/g, "\n\n");
  const htmlParts = paragraphs.map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`);
  if (code) {
    htmlParts.splice(1, 0, `<p style="font-size:28px;font-weight:bold;letter-spacing:4px;font-family:monospace">${escapeHtml(code)}</p>`);
  }
  return { text, html: `<!doctype html><html><body style="font-family:sans-serif">${htmlParts.join("")}</body></html>` };
}

export function createMailNotifier(mailer: Mailer, publicUrl: string): Notifier {
  const site = publicUrl.replace(/\/+$/, "");
  const host = new URL(site).host;
  return {
    async sendSignInCode(to, code, ttlMinutes) {
      await mailer.send({
        to,
        subject: `Your Harmont sign-in code: ${code}`,
        ...render(
          [
            `Use this code to sign in to Harmont at ${host}:`,
            `It works once and expires in ${ttlMinutes} minutes. If you did not ask for it, ignore this mail: nobody can sign in without the code.`,
            site,
          ],
          code,
        ),
      });
    },
    async sendVerificationCode(to, code, ttlMinutes) {
      await mailer.send({
        to,
        subject: `Verify your email for Harmont: ${code}`,
        ...render(
          [
            `Enter this code to verify your email address at ${host}:`,
            `It expires in ${ttlMinutes} minutes. If you did not create an account, ignore this mail.`,
            site,
          ],
          code,
        ),
      });
    },
    async sendPasswordChanged(to) {
      await mailer.send({
        to,
        subject: "Your Harmont password was changed",
        ...render([
          `The password of your Harmont account at ${host} was just changed, and your other sessions were signed out.`,
          `If this was not you, sign in with an email code at ${site} right away and change your password.`,
        ]),
      });
    },
    async sendApiTokenCreated(to, tokenName) {
      await mailer.send({
        to,
        subject: "A new API token was created for your Harmont account",
        ...render([
          `An API token named "${tokenName}" was just created for your Harmont account at ${host}. It can act as you until it expires or is revoked.`,
          `If this was not you, revoke it on your account page (${site}/account) and change your password.`,
        ]),
      });
    },
  };
}
