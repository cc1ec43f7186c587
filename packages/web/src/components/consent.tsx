/** The parts the CLI consent pages share: whose account it is, and the warnings before answering. */
import { useState, type ReactNode } from "react";
import { useSession } from "../session";
import { ShieldIcon } from "./icons";
import { Button } from "./ui";

/** An account at the top of a consent: its initial, what it is to this page (`label`), its address. */
export function Identity({ label, email, children }: { label: string; email: string; children?: ReactNode }) {
  return (
    <div className="identity">
      <span className="avatar avatar--large" aria-hidden="true">
        {email.slice(0, 1).toUpperCase()}
      </span>
      <div className="identity__text">
        <span className="identity__label">{label}</span>
        <strong className="identity__email">{email}</strong>
      </div>
      {children}
    </div>
  );
}

/** "Signed in as …" with a way out when it is the wrong account. */
export function SignedInAs({ email }: { email: string }) {
  const { signOut } = useSession();
  const [busy, setBusy] = useState(false);
  return (
    <Identity label="Signed in as" email={email}>
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
    </Identity>
  );
}

/** What the person must read before answering, set apart and read out as a note. */
export function Caution({ children }: { children: ReactNode }) {
  return (
    <div className="warning" role="note">
      <ShieldIcon />
      <p>{children}</p>
    </div>
  );
}

/** The phishing warning, word for word the same on both login flows. */
export function TerminalWarning() {
  return (
    <Caution>
      Only continue if you just started a login in your own terminal (<code>harmont login</code>). If someone sent you
      this link or asked you to open it, stop here.
    </Caution>
  );
}
