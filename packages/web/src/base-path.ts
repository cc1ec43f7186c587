/**
 * Where the app lives under its origin: "" normally, "/auth" when a proxy mounts the server
 * under a path. The server writes it into the `harmont-base` meta tag of index.html.
 */
export function readBasePath(doc: Document = document): string {
  const content = doc.querySelector<HTMLMetaElement>('meta[name="harmont-base"]')?.content ?? "";
  return /^(\/[A-Za-z0-9._~%!$&'()*+,;=:@-]+)+$/.test(content) ? content : "";
}

export const basePath = readBasePath();
