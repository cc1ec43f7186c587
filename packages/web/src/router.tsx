/**
 * A small client-side router: the address bar is the state. Paths here are the app's own
 * ("/account"); the base path is added and removed at the edges.
 */
import { useEffect, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from "react";
import { basePath } from "./base-path";

const changeEvent = "harmont:navigate";

export interface AppLocation {
  path: string;
  search: string;
}

/** The app path of an address bar path: without the base path, and "/account/" is "/account". */
export function appPathOf(pathname: string): string {
  const path = basePath && pathname.startsWith(basePath) ? pathname.slice(basePath.length) || "/" : pathname;
  return path.replace(/(.)\/+$/, "$1");
}

function readLocation(): string {
  return `${appPathOf(window.location.pathname)}${window.location.search}`;
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener("popstate", onChange);
  window.addEventListener(changeEvent, onChange);
  return () => {
    window.removeEventListener("popstate", onChange);
    window.removeEventListener(changeEvent, onChange);
  };
}

export function useLocation(): AppLocation {
  const current = useSyncExternalStore(subscribe, readLocation);
  const query = current.indexOf("?");
  return query === -1 ? { path: current, search: "" } : { path: current.slice(0, query), search: current.slice(query) };
}

/** The href of an app path, for links and history entries. */
export function hrefOf(to: string): string {
  return `${basePath}${to}`;
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) window.history.replaceState(null, "", hrefOf(to));
  else window.history.pushState(null, "", hrefOf(to));
  window.dispatchEvent(new Event(changeEvent));
  if (!options.replace) window.scrollTo(0, 0);
}

/** Replaces the current entry with `to` on mount (redirects). */
export function Navigate({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

export function Link({ to, onClick, ...rest }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const follow = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return <a href={hrefOf(to)} onClick={follow} {...rest} />;
}
