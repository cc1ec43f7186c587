/**
 * A real SMTP server in the test process (smtp-server on 127.0.0.1), so tests receive mail the
 * way a person does and read codes out of the message.
 */
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  to: string[];
  subject: string;
  raw: string;
}

export interface TestSmtpServer {
  url: string;
  messages: ReceivedMail[];
  /** Waits for the next mail to `to` that arrives after `since` messages. */
  waitForMail(to: string, since?: number): Promise<ReceivedMail>;
  /** The 8-digit code of the latest mail to `to`. */
  latestCode(to: string): Promise<string>;
  close(): Promise<void>;
}

function decodeQuotedPrintable(text: string): string {
  return text.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

export async function startTestSmtpServer(): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = [];
  const waiters: Array<() => void> = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const raw = decodeQuotedPrintable(Buffer.concat(chunks).toString("utf8"));
        const subject = /^Subject: (.*)$/m.exec(raw)?.[1]?.trim() ?? "";
        messages.push({ to: session.envelope.rcptTo.map((address) => address.address), subject, raw });
        for (const wake of waiters.splice(0)) wake();
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.server.address();
  const port = typeof address === "object" && address ? address.port : 0;

  const find = (to: string, since: number) => messages.slice(since).find((mail) => mail.to.includes(to));
  const api: TestSmtpServer = {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    async waitForMail(to, since = 0) {
      const deadline = Date.now() + 5000;
      for (;;) {
        const mail = find(to, since);
        if (mail) return mail;
        if (Date.now() > deadline) throw new Error(`no mail to ${to} arrived`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
    async latestCode(to) {
      const mails = messages.filter((mail) => mail.to.includes(to));
      const mail = mails.at(-1) ?? (await api.waitForMail(to));
      const code = /\b(\d{8})\b/.exec(mail.subject)?.[1];
      if (!code) throw new Error(`no code in the mail to ${to}`);
      return code;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return api;
}
