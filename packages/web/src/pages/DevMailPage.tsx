/**
 * `/dev/mail`, development only: every message the server sent, newest first, so a sign-in code
 * or a link is one click away. Links open; codes copy on click. The server does not serve this
 * page (nor its API) in production.
 */
import { useCallback, useEffect, useState, type ReactNode } from "react";
import { Button, Card, Loading, Notice, Page } from "../components/ui";
import { hrefOf } from "../router";

interface SentMail {
  id: string;
  sent_at: string;
  to: string;
  subject: string;
  text: string;
}

const REFRESH_MS = 3_000;
/** A link, or a run of 6 to 8 digits or 16 base32 characters standing alone: what mail carries as codes. */
const tokenPattern = /(https?:\/\/[^\s<>"]+)|\b(\d{6,8}|[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){3})\b/g;

function CopyCode({ code }: { code: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(code);
      setCopied(true);
      window.setTimeout(() => setCopied(false), 1_500);
    } catch {
      // Without clipboard access the code stays visible to select by hand.
    }
  };
  return (
    <button type="button" className="devmail__code" title="Copy" onClick={() => void copy()}>
      {code}
      {copied ? " ✓" : null}
    </button>
  );
}

function MailText({ text }: { text: string }) {
  const parts: ReactNode[] = [];
  let last = 0;
  for (const match of text.matchAll(tokenPattern)) {
    const at = match.index ?? 0;
    if (at > last) parts.push(text.slice(last, at));
    if (match[1]) {
      parts.push(
        <a key={at} href={match[1]} target="_blank" rel="noreferrer">
          {match[1]}
        </a>,
      );
    } else {
      parts.push(<CopyCode key={at} code={match[2]!} />);
    }
    last = at + match[0].length;
  }
  parts.push(text.slice(last));
  return <pre className="devmail__text">{parts}</pre>;
}

export function DevMailPage() {
  const [messages, setMessages] = useState<SentMail[] | null>(null);
  const [failed, setFailed] = useState(false);

  const load = useCallback(async () => {
    try {
      const response = await fetch(hrefOf("/api/v0/dev/mail"), { credentials: "same-origin", cache: "no-store" });
      if (!response.ok) throw new Error(String(response.status));
      setMessages(((await response.json()) as { messages: SentMail[] }).messages);
      setFailed(false);
    } catch {
      setFailed(true);
    }
  }, []);

  useEffect(() => {
    void load();
    const timer = window.setInterval(() => void load(), REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [load]);

  return (
    <Page
      title="Development inbox"
      heading="Development inbox"
      lead="Every message this server sent, newest first. It exists in development only; production sends mail through SMTP and has no such page."
      width="wide"
    >
      {failed ? <Notice tone="error">Could not read the inbox. Is the server running in development?</Notice> : null}
      {messages === null && !failed ? <Loading /> : null}
      {messages !== null && messages.length === 0 ? (
        <Card>
          <p>No mail yet. Sign in with an email code, or sign up, and the message shows up here.</p>
        </Card>
      ) : null}
      {messages?.map((mail) => (
        <Card key={mail.id} className="devmail">
          <div className="devmail__head">
            <strong className="devmail__subject">{mail.subject}</strong>
            <span className="devmail__meta">
              to {mail.to} · {new Date(mail.sent_at).toLocaleTimeString()}
            </span>
          </div>
          <MailText text={mail.text} />
        </Card>
      ))}
      {messages !== null ? (
        <div className="actions">
          <Button variant="secondary" onClick={() => void load()}>
            Refresh
          </Button>
        </div>
      ) : null}
    </Page>
  );
}
