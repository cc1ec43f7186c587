/**
 * The development inbox: in development every message the server sends is also kept here (the
 * newest 200, in memory), and the web app's `/dev/mail` lists them, so a sign-in code is a click
 * away instead of buried in a log line. Production has no inbox: the route is not registered.
 */
import { randomUUID } from "node:crypto";
import type { Clock } from "../auth/types.js";
import type { MailMessage, Mailer } from "./mailer.js";

export interface SentMail {
  id: string;
  sentAt: number;
  to: string;
  subject: string;
  text: string;
}

export interface DevInbox {
  /** Every kept message, newest first. */
  list(): SentMail[];
  record(message: MailMessage): void;
}

export const DEV_INBOX_CAPACITY = 200;

export function createDevInbox(clock: Clock, capacity = DEV_INBOX_CAPACITY): DevInbox {
  const kept: SentMail[] = [];
  return {
    list: () => [...kept].reverse(),
    record(message) {
      kept.push({ id: randomUUID(), sentAt: clock.now(), to: message.to, subject: message.subject, text: message.text });
      if (kept.length > capacity) kept.splice(0, kept.length - capacity);
    },
  };
}

/** A mailer that sends through `inner` and keeps what it sent in `inbox`. */
export function recordingMailer(inner: Mailer, inbox: DevInbox): Mailer {
  return {
    async send(message) {
      await inner.send(message);
      inbox.record(message);
    },
    close: () => inner.close(),
  };
}
