/**
 * The OAuth client registry: which clients may use the device authorization grant (public
 * clients: a CLI cannot keep a secret), and which resource servers may introspect tokens
 * (confidential clients, known by the SHA-256 of their secret). Both come from settings; there is
 * no dynamic registration. `harmont-cli`, Harmont's own CLI, is always registered.
 */
import { timingSafeEqual } from "node:crypto";
import { hashSecret } from "./tokens.js";

export interface OAuthClient {
  id: string;
  /** What the consent page shows, above the name a client gives itself. */
  name: string;
  /** Harmont's own CLI; others were registered by the server's operator. */
  firstParty: boolean;
}

export interface IntrospectionClient {
  id: string;
  /** base64url SHA-256 of the secret. */
  secretHash: string;
}

export const HARMONT_CLI_CLIENT: OAuthClient = { id: "harmont-cli", name: "Harmont CLI", firstParty: true };

const clientIdPattern = /^[a-z0-9][a-z0-9-]{2,63}$/;
const clientNamePattern = /^[\x20-\x2B\x2D-\x7E]{1,60}$/;

/** Why a registry setting is refused, for the configuration's error message. */
export class OAuthClientListError extends Error {}

/** `acme-cli=Acme CLI,deploy-bot=Deploy bot`: extra public clients, beside `harmont-cli`. */
export function parseOAuthClients(text: string): OAuthClient[] {
  const clients = [HARMONT_CLI_CLIENT];
  for (const entry of text.split(",").map((part) => part.trim()).filter(Boolean)) {
    const separator = entry.indexOf("=");
    const id = separator < 0 ? entry : entry.slice(0, separator).trim();
    const name = separator < 0 ? "" : entry.slice(separator + 1).trim();
    if (!clientIdPattern.test(id)) throw new OAuthClientListError(`"${id}" is not a client id: 3 to 64 of a-z, 0-9 and -, starting with a letter or digit`);
    if (!clientNamePattern.test(name)) throw new OAuthClientListError(`client ${id} needs a name of 1 to 60 printable characters without commas (id=Name)`);
    if (clients.some((client) => client.id === id)) throw new OAuthClientListError(`client ${id} is listed twice`);
    clients.push({ id, name, firstParty: false });
  }
  return clients;
}

/** `api=sha256:<base64url SHA-256 of the secret>,…`: resource servers that may introspect. */
export function parseIntrospectionClients(text: string): IntrospectionClient[] {
  const clients: IntrospectionClient[] = [];
  for (const entry of text.split(",").map((part) => part.trim()).filter(Boolean)) {
    const match = /^([a-z0-9][a-z0-9-]{2,63})=sha256:([A-Za-z0-9_-]{43})$/.exec(entry);
    if (!match) throw new OAuthClientListError(`"${entry.split("=")[0]}" must be written id=sha256:<43 base64url characters> (harmont-server introspection-client new <id> prints it)`);
    if (clients.some((client) => client.id === match[1])) throw new OAuthClientListError(`client ${match[1]} is listed twice`);
    clients.push({ id: match[1]!, secretHash: match[2]! });
  }
  return clients;
}

export interface OAuthClientRegistry {
  publicClient(id: string): OAuthClient | null;
  /** The resource server whose id and secret these are; `null` for anything else. */
  authenticateIntrospection(id: string, secret: string): IntrospectionClient | null;
}

export function createOAuthClientRegistry(publicClients: OAuthClient[], introspectionClients: IntrospectionClient[]): OAuthClientRegistry {
  const byId = new Map(publicClients.map((client) => [client.id, client]));
  return {
    publicClient: (id) => byId.get(id) ?? null,
    authenticateIntrospection(id, secret) {
      const presented = Buffer.from(hashSecret(secret));
      let found: IntrospectionClient | null = null;
      // Every registered hash is compared, so the time taken says nothing about which id exists.
      for (const client of introspectionClients) {
        const stored = Buffer.from(client.secretHash);
        if (stored.length === presented.length && timingSafeEqual(stored, presented) && client.id === id) found = client;
      }
      return found;
    },
  };
}
