/** The app's building blocks: buttons, fields, notices, page frames. */
import { useEffect, useId, useRef, type ButtonHTMLAttributes, type InputHTMLAttributes, type ReactNode } from "react";

export function Spinner() {
  return <span className="spinner" aria-hidden="true" />;
}

type ButtonVariant = "primary" | "neutral" | "secondary" | "danger" | "quiet";

/**
 * A button that shows a spinner while `busy` and is disabled meanwhile. Its label never changes,
 * so its accessible name stays put; `aria-busy` tells assistive technology it is working.
 */
export function Button({
  variant = "primary",
  busy = false,
  disabled,
  className,
  children,
  type = "button",
  ...rest
}: { variant?: ButtonVariant; busy?: boolean } & ButtonHTMLAttributes<HTMLButtonElement>) {
  return (
    <button
      type={type}
      className={`button button--${variant}${className ? ` ${className}` : ""}`}
      disabled={disabled || busy}
      aria-busy={busy || undefined}
      {...rest}
    >
      {busy ? <Spinner /> : null}
      {children}
    </button>
  );
}

export function Field({
  label,
  hint,
  error,
  ...input
}: { label: string; hint?: ReactNode; error?: string | null } & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(" ") || undefined;
  return (
    <div className="field">
      <label className="field__label" htmlFor={id}>
        {label}
      </label>
      <input id={id} className="field__input" aria-describedby={describedBy} aria-invalid={error ? true : undefined} {...input} />
      {hint ? (
        <p className="field__hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p className="field__error" id={errorId}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** An error or a confirmation, announced when it appears. */
export function Notice({ tone, children }: { tone: "error" | "success" | "info"; children: ReactNode }) {
  return (
    <div className={`notice notice--${tone}`} role={tone === "error" ? "alert" : "status"}>
      {children}
    </div>
  );
}

let firstPage = true;

/**
 * A page: sets the document title and, after an in-app navigation, moves focus to the heading so
 * keyboard and screen-reader users start at the top of the new page.
 */
export function Page({ title, heading, lead, width = "narrow", children }: { title: string; heading: ReactNode; lead?: ReactNode; width?: "narrow" | "wide"; children: ReactNode }) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Harmont`;
  }, [title]);
  useEffect(() => {
    if (firstPage) {
      firstPage = false;
      return;
    }
    headingRef.current?.focus({ preventScroll: true });
  }, []);
  return (
    <section className={`page page--${width}`}>
      <header className="page__header">
        <h1 className="page__title" tabIndex={-1} ref={headingRef}>
          {heading}
        </h1>
        {lead ? <p className="page__lead">{lead}</p> : null}
      </header>
      {children}
    </section>
  );
}

export function Card({ children, className }: { children: ReactNode; className?: string }) {
  return <div className={`card${className ? ` ${className}` : ""}`}>{children}</div>;
}

/** While the session is being looked up. */
export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="loading" role="status">
      <Spinner />
      <span>{label}</span>
    </div>
  );
}
