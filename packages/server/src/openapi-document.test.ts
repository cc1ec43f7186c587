import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderOpenApiDocument } from "./openapi-document.js";

describe("openapi/openapi.json", () => {
  it("is what the code generates (run `npm run generate` after changing a route)", async () => {
    const committed = readFileSync(new URL("../../../openapi/openapi.json", import.meta.url), "utf8");
    expect(committed).toBe(await renderOpenApiDocument());
  });

  it("declares the five seed operations with their summaries", async () => {
    const document = JSON.parse(await renderOpenApiDocument()) as {
      paths: Record<string, Record<string, { operationId: string; summary: string; requestBody?: { required?: boolean } }>>;
    };
    const post = (path: string) => document.paths[path]?.post;
    expect(post("/api/v0/auth/cli/claim")).toMatchObject({ operationId: "cliClaim", summary: "Claim a transferred session token (CLI loopback poll)" });
    expect(post("/api/v0/auth/cli/code")).toMatchObject({ operationId: "cliCode", summary: "Mint a human-typeable CLI paste code" });
    expect(post("/api/v0/auth/cli/redeem")).toMatchObject({ operationId: "cliRedeem", summary: "Redeem a CLI paste code for a session token" });
    expect(post("/api/v0/auth/cli/transfer")).toMatchObject({
      operationId: "cliTransfer",
      summary: "Hand a session token to a locally-running CLI (loopback)",
    });
    expect(post("/api/v0/auth/logout")).toMatchObject({ operationId: "logout", summary: "Log out (revoke the current bearer token)" });
    // The seed marks these request bodies optional; the server still validates them.
    expect(post("/api/v0/auth/cli/claim")?.requestBody?.required).toBe(false);
  });
});
