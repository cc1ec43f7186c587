/**
 * What the server tells people by mail: sign-in codes, verification codes, and the notices that a
 * password changed, an API token was made, or two-step verification changed or was attacked. Plain text and simple HTML; every link is built from the public URL.
 */
import type { Notifier } from "../auth/context.js";
import { escapeHtml } from "../docs/markdown.js";
import type { Logger } from "pino";
import type { Mailer } from "./mailer.js";

function render(paragraphs: string[], code?: string): { text: string; html: string } {
  const text = [...paragraphs.slice(0, 1), ...(code ? ["", `    ${code}`, ""] : []), ...paragraphs.slice(1)].join("\n\n").replace(/\n{3,}/g, "\n\n");
  const htmlParts = paragraphs.map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`);
  if (code) {
    htmlParts.splice(1, 0, `<p style="font-size:28px;font-weight:bold;letter-spacing:4px;font-family:monospace">${escapeHtml(code)}</p>`);
  }
  return { text, html: `<!doctype html><html><body style="font-family:sans-serif">${htmlParts.join("")}</body></html>` };
}

const dateTime = new Intl.DateTimeFormat("en-GB", { dateStyle: "long", timeStyle: "short", timeZone: "UTC" });

/** `12 December 2026 at 14:05 UTC`: mail is read in every time zone, so it says which. */
function formatUtc(milliseconds: number): string {
  return `${dateTime.format(milliseconds)} UTC`;
}

export function createMailNotifier(mailer: Mailer, publicUrl: string, logger?: Pick<Logger, "warn">): Notifier {
  const site = publicUrl.replace(/\/+$/, "");
  const host = new URL(site).host;
  /** A notice of a change already made: a mail that cannot be sent is logged and does not undo it. */
  const bestEffort = async (what: string, send: () => Promise<void>) => {
    try {
      await send();
    } catch (error) {
      logger?.warn({ err: { message: (error as Error).message } }, `${what} could not be sent`);
    }
  };
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
    async sendNewCliSession(to, session) {
      const from = [session.ip ? `from ${session.ip}` : null, session.device ? `(${session.device})` : null].filter(Boolean).join(" ");
      try {
        await mailer.send({
          to,
          subject: "A new CLI session was created for your Harmont account",
          ...render([
            `A new CLI session, "${session.name}", was created for your Harmont account at ${host} on ${formatUtc(session.at)}${from ? `, ${from}` : ""}.`,
            `If this was you, there is nothing to do. If not, revoke it on your account page (${site}/account) and change your password.`,
            `You can turn these notices off on the same page.`,
          ]),
        });
      } catch (error) {
        logger?.warn({ err: { message: (error as Error).message } }, "the new CLI session notice could not be sent");
      }
    },
    async sendAccountDeletionScheduled(to, dueAt) {
      await mailer.send({
        to,
        subject: "Your Harmont account will be deleted",
        ...render([
          `As you asked, your Harmont account at ${host} will be deleted on ${formatUtc(dueAt)}. Every session and API token was signed out.`,
          `Changed your mind? Sign in at ${site} before then and the account stays.`,
        ]),
      });
    },
    async sendAccountDeletionCancelled(to) {
      await mailer.send({
        to,
        subject: "Your Harmont account will not be deleted",
        ...render([
          `You signed in to your Harmont account at ${host}, so its deletion was called off. The account stays.`,
          `If you did not sign in, change your password at ${site}/account right away.`,
        ]),
      });
    },
    async sendAccountDeleted(to) {
      await mailer.send({
        to,
        subject: "Your Harmont account was deleted",
        ...render([`Your Harmont account at ${host} was deleted, as you asked, with its sessions and API tokens.`]),
      });
    },
    async sendOrgInvitation(to, invitation) {
      const link = `${site}/invitations#token=${invitation.token}`;
      await mailer.send({
        to,
        subject: `${invitation.invitedBy} invited you to ${invitation.orgName} on Harmont`,
        ...render([
          `${invitation.invitedBy} invited you to join the organization "${invitation.orgName}" on Harmont (${host}) as ${invitation.role === "admin" ? "an admin" : `a ${invitation.role}`}.`,
          `Accept it here, signed in with this address (${to}); you can create an account on the way:`,
          link,
          `The link works once and expires on ${formatUtc(invitation.expiresAt)}. If you do not know the sender, ignore this mail.`,
        ]),
      });
    },
    async sendPasswordReset(to, link, ttlMinutes) {
      await mailer.send({
        to,
        subject: "Reset your Harmont password",
        ...render([
          `Someone asked to reset the password of your Harmont account at ${host}. To choose a new one, open this link:`,
          link,
          `It works once and expires in ${ttlMinutes} minutes. If you did not ask for it, ignore this mail: your password stays as it is.`,
        ]),
      });
    },
    async sendPasswordResetNoAccount(to) {
      await mailer.send({
        to,
        subject: "Reset your Harmont password",
        ...render([
          `Someone asked to reset the password of a Harmont account at ${host} for this address, but there is no account for it.`,
          `To create one, or to sign in without a password, ask for an email code at ${site}. If you did not ask for this, ignore this mail.`,
        ]),
      });
    },
    async sendPasswordResetDone(to) {
      await mailer.send({
        to,
        subject: "Your Harmont password was reset",
        ...render([
          `The password of your Harmont account at ${host} was just reset with a link sent to this address. Every session and API token was signed out.`,
          `If this was not you, reset it again at ${site} right away.`,
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
    async sendSecondFactorChanged(to, change) {
      const what: [subject: string, body: string] = {
        enabled: ["Two-step verification was turned on", "Two-step verification was just turned on for your Harmont account at " + host + ", and your other sessions were signed out. Keep your backup codes somewhere safe."],
        disabled: ["Two-step verification was turned off", "Two-step verification was just turned off for your Harmont account at " + host + ", and your other sessions were signed out."],
        backup_codes_regenerated: ["New backup codes were made", "New two-step backup codes were just made for your Harmont account at " + host + "; the old ones no longer work."],
        reset_by_operator: ["Two-step verification was reset", "An administrator of " + host + " removed two-step verification from your Harmont account at your request, and signed out every session and API token."],
      }[change] as [string, string];
      await bestEffort(`the two-step ${change} notice`, () =>
        mailer.send({
          to,
          subject: `${what[0]} on your Harmont account`,
          ...render([what[1], `If this was not you, sign in at ${site}, change your password, and check your sessions on your account page (${site}/account).`]),
        }),
      );
    },
    async sendImpersonationStarted(to, support) {
      await bestEffort("the support session notice", () =>
        mailer.send({
          to,
          subject: "Support is looking at your Harmont account",
          ...render([
            `Someone from the support team of ${host} opened a read-only support session of your Harmont account, until ${formatUtc(support.expiresAt)} at the latest. The reason they gave: "${support.reason}".`,
            `It can see what you see but change nothing. You can end it at once on your account page (${site}/account): revoke the session named "Support session".`,
          ]),
        }),
      );
    },
    async sendBackupCodeUsed(to, remaining) {
      await bestEffort("the backup code notice", () =>
        mailer.send({
          to,
          subject: "A backup code was used to sign in to your Harmont account",
          ...render([
            `A two-step backup code was just used to sign in to your Harmont account at ${host}. ${remaining === 1 ? "1 code is" : `${remaining} codes are`} left.`,
            remaining <= 3 ? `Make new codes on your account page (${site}/account) before you run out.` : `If this was not you, change your password and make new codes on your account page (${site}/account).`,
          ]),
        }),
      );
    },
    async sendSecondFactorFailures(to, attempt) {
      const from = [attempt.ip ? `from ${attempt.ip}` : null, attempt.device ? `(${attempt.device})` : null].filter(Boolean).join(" ");
      await bestEffort("the two-step failures notice", () =>
        mailer.send({
          to,
          subject: "Someone is trying to sign in to your Harmont account",
          ...render([
            `A sign-in to your Harmont account at ${host}${from ? ` ${from}` : ""} gave the right password or email code, then five wrong two-step codes, and was stopped.`,
            `If this was not you, someone knows your password: change it at ${site}/account now.`,
          ]),
        }),
      );
    },
    async sendLoginReported(to, attempt) {
      const from = [attempt.ip ? `from ${attempt.ip}` : null, attempt.device ? `(${attempt.device})` : null].filter(Boolean).join(" ");
      await bestEffort("the reported sign-in notice", () =>
        mailer.send({
          to,
          subject: "You refused a sign-in to your Harmont account",
          ...render([
            `You refused a sign-in to your Harmont account at ${host}, started on ${formatUtc(attempt.at)}${from ? ` ${from}` : ""}, and said it was not you. For an hour, no sign-in can ask your devices for approval.`,
            `Whoever started it knew your password or had your mailbox: change your password at ${site}/account.`,
          ]),
        }),
      );
    },
  };
}
