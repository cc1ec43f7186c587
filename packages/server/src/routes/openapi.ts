/** The OpenAPI 3.1 document, generated from the route schemas. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../http/context.js";

export const apiTags = [
  {
    name: "Auth",
    description:
      "The Auth endpoints mint and exchange Harmont session tokens. They are the only endpoints in this API where the request is unauthenticated on purpose; everything else takes a Bearer header from one of these.",
  },
  { name: "User", description: "The signed-in user." },
  { name: "Meta", description: "Public metadata about this server." },
];

export function createOpenApiDocument(app: OpenAPIHono<AppEnv>, options: { serverUrl: string; version: string }) {
  return app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Harmont API",
      version: options.version,
      description: "Sign in on the web and get that session into a command-line tool safely. Errors share one envelope.",
      license: { name: "Apache-2.0", url: "https://www.apache.org/licenses/LICENSE-2.0" },
    },
    servers: [{ url: options.serverUrl }],
    tags: apiTags,
  });
}
