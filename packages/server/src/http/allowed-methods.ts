/**
 * Which methods an app serves a path with: what a 405 answer's `Allow` header lists. The
 * routes are read on the first call, once every route is in place, then kept.
 */

function patternToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .split("/")
    .map((segment) => (segment.startsWith(":") ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${escaped}/?$`);
}

/** A lookup of the distinct methods the app's routes serve `path` with (`ALL` entries are middleware). */
export function allowedMethodsOf(app: { routes: ReadonlyArray<{ method: string; path: string }> }): (path: string) => string[] {
  let known: Array<{ method: string; pattern: RegExp }> | null = null;
  return (path) => {
    known ??= app.routes.filter((route) => route.method !== "ALL").map((route) => ({ method: route.method, pattern: patternToRegExp(route.path) }));
    return [...new Set(known.filter((route) => route.pattern.test(path)).map((route) => route.method))];
  };
}
