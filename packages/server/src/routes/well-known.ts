/**
 * `/.well-known/oauth-authorization-server` (RFC 8414): where OAuth clients discover the device
 * grant's endpoints. It sits at the origin's root; when the public URL has a path, the document
 * is also at the root path followed by that path, where RFC 8414 §3.1 (and oauth4webapi) look.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../app-deps.js";
import type { AppEnv } from "../http/context.js";
import { DEVICE_CODE_GRANT_TYPE } from "./oauth-endpoints.js";
import { oauthBasePath } from "./oauth.js";

const AuthorizationServerMetadata = z
  .object({
    issuer: z.string(),
    token_endpoint: z.string(),
    device_authorization_endpoint: z.string(),
    revocation_endpoint: z.string(),
    introspection_endpoint: z.string(),
    grant_types_supported: z.array(z.string()),
    response_types_supported: z.array(z.string()),
    token_endpoint_auth_methods_supported: z.array(z.string()),
    revocation_endpoint_auth_methods_supported: z.array(z.string()),
    introspection_endpoint_auth_methods_supported: z.array(z.string()),
    service_documentation: z.string(),
  })
  .openapi("AuthorizationServerMetadata");

export const oauthMetadataPath = "/.well-known/oauth-authorization-server";

export function registerWellKnownRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const issuer = deps.config.publicUrl.href.replace(/\/+$/, "");
  const endpoint = (name: string) => `${issuer}${oauthBasePath}/${name}`;
  const metadata = {
    issuer,
    token_endpoint: endpoint("token"),
    device_authorization_endpoint: endpoint("device_authorization"),
    revocation_endpoint: endpoint("revoke"),
    introspection_endpoint: endpoint("introspect"),
    grant_types_supported: [DEVICE_CODE_GRANT_TYPE],
    // No authorization endpoint: the device grant needs none (RFC 8414 §2 still asks for the list).
    response_types_supported: [],
    token_endpoint_auth_methods_supported: ["none"],
    revocation_endpoint_auth_methods_supported: ["none"],
    introspection_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
    service_documentation: `${deps.config.docsUrl.replace(/\/+$/, "")}/guides/oauth-clients`,
  };
  const paths = new Set([oauthMetadataPath, `${oauthMetadataPath}${new URL(issuer).pathname.replace(/\/+$/, "")}`]);
  for (const path of paths) {
    const route = createRoute({
      method: "get",
      path,
      operationId: path === oauthMetadataPath ? "getOAuthMetadata" : undefined,
      hide: path !== oauthMetadataPath,
      tags: ["OAuth"],
      summary: "OAuth authorization server metadata (RFC 8414)",
      description: "The endpoints of the device grant, revocation and introspection, for OAuth clients' discovery.",
      responses: { 200: { description: "The metadata.", content: { "application/json": { schema: AuthorizationServerMetadata } } } },
    });
    app.openapi(route, (c) => {
      c.set("routePattern", path);
      c.header("Cache-Control", "public, max-age=300");
      return c.json(metadata, 200);
    });
  }
}
