/** After deleting the account: when it goes, and how to keep it. */
import { Card, Page } from "../components/ui";
import { formatAbsolute } from "../format";
import { Link, useLocation } from "../router";

export function AccountDeletedPage() {
  const { search } = useLocation();
  const due = new URLSearchParams(search).get("due");
  const dueText = due && Number.isFinite(Date.parse(due)) ? formatAbsolute(due) : null;
  return (
    <Page title="Account deleted" heading={dueText ? "Your account will be deleted" : "Your account was deleted"}>
      <Card>
        {dueText ? (
          <>
            <p>
              Every session and API token was signed out. The account is deleted on <strong>{dueText}</strong>, and a mail says so.
            </p>
            <p className="muted">
              Changed your mind? <Link to="/sign-in">Sign in</Link> before then and the account stays.
            </p>
          </>
        ) : (
          <p>The account, its sessions and its API tokens are gone.</p>
        )}
      </Card>
    </Page>
  );
}
