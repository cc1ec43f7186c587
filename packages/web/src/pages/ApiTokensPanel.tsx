/**
 * The account page's API tokens: make one for CI (shown once, with a copy button), see each
 * token's last use and expiry, revoke one.
 */
import { createApiToken, getMeta, listApiTokens, revokeApiToken, type ApiToken } from "@harmont/cloud";
import { useCallback, useEffect, useId, useState, type FormEvent } from "react";
import { harmont, run, type Problem } from "../api";
import { CheckIcon, CopyIcon, KeyIcon } from "../components/icons";
import { Button, Card, Field, Loading, Notice } from "../components/ui";
import { formatAbsolute, formatRelative } from "../format";
import { useSession } from "../session";

const expiryChoices = [7, 30, 90, 365] as const;
const DEFAULT_EXPIRY_DAYS = 90;

function ExpiryText({ expiresAt }: { expiresAt: string | null }) {
  if (expiresAt === null) return <>never expires</>;
  return (
    <>
      expires{" "}
      <time dateTime={expiresAt} title={formatAbsolute(expiresAt)}>
        {formatRelative(expiresAt)}
      </time>
    </>
  );
}

/** The new token, once: it cannot be shown again. */
function NewToken({ token, name, onDone }: { token: string; name: string; onDone: () => void }) {
  const [copied, setCopied] = useState<"no" | "yes" | "failed">("no");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(token);
      setCopied("yes");
    } catch {
      setCopied("failed");
    }
  };
  return (
    <div className="new-token" role="group" aria-label={`New API token ${name}`}>
      <Notice tone="success">
        Made “{name}”. Copy it now: it is shown this once. Store it in your CI's secrets as <code>HARMONT_TOKEN</code>.
      </Notice>
      <code className="new-token__value" data-testid="new-api-token">
        {token}
      </code>
      {copied === "failed" ? <p className="muted">Copying is not allowed here: select the token and press Ctrl+C (⌘C on a Mac).</p> : null}
      <div className="actions">
        <Button variant="secondary" onClick={() => void copy()}>
          {copied === "yes" ? <CheckIcon /> : <CopyIcon />}
          {copied === "yes" ? "Copied" : "Copy token"}
        </Button>
        <Button variant="quiet" onClick={onDone}>
          Done
        </Button>
      </div>
    </div>
  );
}

export function ApiTokensPanel() {
  const { refresh } = useSession();
  const expiryId = useId();
  const [tokens, setTokens] = useState<ApiToken[] | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [allowNoExpiry, setAllowNoExpiry] = useState(false);
  const [maxDays, setMaxDays] = useState(365);
  const [name, setName] = useState("");
  const [expiry, setExpiry] = useState(String(DEFAULT_EXPIRY_DAYS));
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<{ token: string; name: string } | null>(null);
  const [revoking, setRevoking] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState("");

  const load = useCallback(async () => {
    const outcome = await run(listApiTokens({ client: harmont }));
    if (!outcome.ok) {
      if (outcome.problem.status === 401) await refresh();
      else setProblem(outcome.problem);
      return;
    }
    setTokens(outcome.data.tokens);
  }, [refresh]);

  useEffect(() => {
    void load();
    void run(getMeta({ client: harmont })).then((outcome) => {
      if (!outcome.ok) return;
      setAllowNoExpiry(outcome.data.api_token_no_expiry === true);
      if (outcome.data.api_token_max_days) setMaxDays(outcome.data.api_token_max_days);
    });
  }, [load]);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setCreating(true);
    setProblem(null);
    const outcome = await run(
      createApiToken({ client: harmont, body: { name: name.trim(), expires_in_days: expiry === "never" ? null : Number(expiry) } }),
    );
    setCreating(false);
    if (!outcome.ok) {
      if (outcome.problem.status === 401) await refresh();
      else setProblem(outcome.problem);
      return;
    }
    setCreated({ token: outcome.data.token, name: outcome.data.api_token.name });
    setName("");
    await load();
  };

  const revoke = async (token: ApiToken) => {
    setRevoking(token.id);
    const outcome = await run(revokeApiToken({ client: harmont, path: { id: token.id } }));
    setRevoking(null);
    if (!outcome.ok && outcome.problem.status !== 404) {
      if (outcome.problem.status === 401) await refresh();
      else setProblem(outcome.problem);
      return;
    }
    setAnnouncement(`Revoked “${token.name}”.`);
    await load();
  };

  const choices = expiryChoices.filter((days) => days <= maxDays);

  return (
    <Card className="sessions api-tokens">
      <div>
        <h2 className="section-title">API tokens</h2>
        <p className="muted">
          For CI and scripts: a token acts as you until it expires or you revoke it. It can read your account, but cannot make tokens, change your
          password or approve logins. Signing out everywhere leaves tokens alone.
        </p>
      </div>
      {problem ? <Notice tone="error">{problem.message}</Notice> : null}
      <p className="sr-only" role="status">
        {announcement}
      </p>
      {created ? (
        <NewToken token={created.token} name={created.name} onDone={() => setCreated(null)} />
      ) : (
        <form className="inline-form" onSubmit={(event) => void create(event)} aria-label="Make an API token">
          <Field
            label="Token name"
            name="token-name"
            placeholder="GitHub Actions deploy"
            maxLength={100}
            required
            value={name}
            onChange={(event) => setName(event.target.value)}
          />
          <div className="field">
            <label className="field__label" htmlFor={expiryId}>
              Expires
            </label>
            <select id={expiryId} className="field__input" value={expiry} onChange={(event) => setExpiry(event.target.value)}>
              {choices.map((days) => (
                <option key={days} value={String(days)}>
                  in {days} days
                </option>
              ))}
              {choices.includes(maxDays as (typeof expiryChoices)[number]) ? null : <option value={String(maxDays)}>in {maxDays} days</option>}
              {allowNoExpiry ? <option value="never">never</option> : null}
            </select>
          </div>
          <Button type="submit" busy={creating}>
            Make token
          </Button>
        </form>
      )}
      {tokens === null ? (
        problem ? null : <Loading label="Loading API tokens…" />
      ) : tokens.length === 0 ? (
        <p className="muted">No API tokens yet.</p>
      ) : (
        <ul className="session-list" aria-label="API tokens">
          {tokens.map((token) => (
            <li key={token.id} className="session" data-session-kind="api">
              <span className="session__icon">
                <KeyIcon />
              </span>
              <div className="session__text">
                <div className="session__title">
                  <span className="session__name">{token.name}</span>
                  <span className="badge">API token</span>
                </div>
                <p className="session__times">
                  Made <time dateTime={token.created_at} title={formatAbsolute(token.created_at)}>{formatRelative(token.created_at)}</time>
                  <span aria-hidden="true"> · </span>
                  {token.last_used_at === token.created_at ? (
                    "no use recorded yet"
                  ) : (
                    <>
                      last used <time dateTime={token.last_used_at} title={formatAbsolute(token.last_used_at)}>{formatRelative(token.last_used_at)}</time>
                    </>
                  )}
                  <span aria-hidden="true"> · </span>
                  <ExpiryText expiresAt={token.expires_at} />
                </p>
              </div>
              <Button
                variant="secondary"
                className="session__action"
                busy={revoking === token.id}
                disabled={revoking !== null}
                aria-label={`Revoke ${token.name}`}
                onClick={() => void revoke(token)}
              >
                Revoke
              </Button>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
