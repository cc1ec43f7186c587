/**
 * What the sign-in's second step and the account page's two-step settings share: the field for a
 * code from the authenticator app or for a backup code, and the switch between the two.
 */
import type { SecondFactorProofRequest } from "@harmont/cloud";
import { Field } from "./ui";

export type CodeMethod = SecondFactorProofRequest["method"];

/** The code as the server wants it: digits only for the app's code (people type "492 039"); a backup code as typed. */
export function codeBody(method: CodeMethod, code: string): string {
  return method === "totp" ? code.replace(/\D/g, "") : code.trim();
}

/**
 * Why a code was refused (the server's words: "not valid", or what a code looks like when it
 * had the wrong shape), with what to do next.
 */
export function invalidCodeMessage(method: CodeMethod, serverMessage: string): string {
  return `${serverMessage} ${method === "totp" ? "Each code works once: wait for the next one in your app, or use a backup code." : "Each backup code works once."}`;
}

export function SecondFactorCodeField({
  method,
  value,
  onChange,
  autoFocus,
}: {
  method: CodeMethod;
  value: string;
  onChange(value: string): void;
  autoFocus?: boolean;
}) {
  if (method === "totp") {
    return (
      <Field
        key="totp"
        label="6-digit code from your authenticator app"
        name="totp-code"
        inputMode="numeric"
        autoComplete="one-time-code"
        pattern="[0-9 ]{6,7}"
        maxLength={7}
        required
        autoFocus={autoFocus}
        className="field__input field__input--code"
        value={value}
        onChange={(event) => onChange(event.target.value)}
      />
    );
  }
  // A backup code is not a one-time code a browser or password manager should fill or remember.
  return (
    <Field
      key="backup"
      label="Backup code"
      name="backup-code"
      autoComplete="off"
      autoCapitalize="characters"
      spellCheck={false}
      maxLength={24}
      required
      autoFocus={autoFocus}
      hint="One of the ten codes you saved when you turned on two-step verification. Each works once."
      className="field__input field__input--code field__input--backup-code"
      value={value}
      onChange={(event) => onChange(event.target.value)}
    />
  );
}

/** "Use a backup code instead" and back. */
export function CodeMethodSwitch({ method, onChange, disabled }: { method: CodeMethod; onChange(method: CodeMethod): void; disabled?: boolean }) {
  return (
    <button type="button" className="link-button" disabled={disabled} onClick={() => onChange(method === "totp" ? "backup_code" : "totp")}>
      {method === "totp" ? "Use a backup code instead" : "Use a code from your authenticator app instead"}
    </button>
  );
}
