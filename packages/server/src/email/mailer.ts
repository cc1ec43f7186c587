/**
 * Mail transports: SMTP through nodemailer, or, in development without SMTP, the log. The log
 * transport is the one place a code may appear in a log line, and only in development.
 */
import { knownSafeLogLine } from "../log-redaction.js";
import nodemailer from "nodemailer";
import type { Logger } from "pino";

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
  close(): void;
}

export function createSmtpMailer(smtpUrl: string, from: string): Mailer {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    async send(message) {
      await transport.sendMail({ from, ...message });
    },
    close: () => transport.close(),
  };
}

/** Development only: writes the message to the log instead of sending it. */
export function createLogMailer(logger: Logger): Mailer {
  return {
    async send(message) {
      // Development only (production requires SMTP): the code must be readable here.
      logger.info({ [knownSafeLogLine]: true, mail: { to: message.to, subject: message.subject, text: message.text } }, "mail (development: logged, not sent)");
    },
    close: () => {},
  };
}
