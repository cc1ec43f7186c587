/** The parts both CLI consent pages share: who is signed in, and the warning against phishing. */
import { useState } from "react";
import { useSession } from "../session";
import { ShieldIcon } from "./icons";
import { Button } from "./ui";

/** "Signed in as …" with a way out when it is the wrong account. */
export function SignedInAs({ email }: { email: string }) {
  const { signOut } = useSession();
  const [busy, setBusy] = useState(false);
  return (
    <div className="identity">
      <span className="avatar avatar--large" aria-hidden="true">
        {email.slice(0, 1).toUpperCase()}
      </span>
      <div className="identity__text">
        <span className="identity__label">Signed in as</span>
        <strong className="identity__email">{email}</strong>
      </div>
      <Button
        variant="quiet"
        busy={busy}
        aria-label="Not you? Sign out"
        onClick={async () => {
          // Signed out, this page sends the person to sign in and back here; the login is kept.
          setBusy(true);
          if (await signOut()) setBusy(false);
        }}
      >
        Not you?
      </Button>
    </div>
  );
}

/** The phishing warning, word for word the same on both flows. */
export function TerminalWarning() {
  return (
    <div className="warning" role="note">
      <ShieldIcon />
      <p>
        Only continue if you just started a login in your own terminal (<code>harmont login</code>). If someone sent
        you this link or asked you to open it, stop here.
      </p>
    </div>
  );
}
