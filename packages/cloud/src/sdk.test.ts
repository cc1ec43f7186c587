/**
 * The SDK against a real server: every operation of the OpenAPI document is called through
 * @harmont/cloud with `fetch` bound to an in-process Harmont app (real database, real routes),
 * for its success and for its error results (the typed envelope), with and without throwOnError.
 */
import { readFileSync } from "node:fs";
import * as OTPAuth from "otpauth";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { createSqliteTestDatabase } from "../../server/src/test-support/databases.js";
import { createTestServerWithMail, signUp } from "../../server/src/test-support/harness.js";
import {
  acceptOrgInvitation,
  approveDeviceLogin,
  approveLogin,
  cliComplete,
  denyDeviceLogin,
  getOAuthMetadata,
  lookUpDeviceLogin,
  startImpersonation,
  stopImpersonation,
  oauthDeviceAuthorization,
  oauthIntrospect,
  oauthRevoke,
  oauthToken,
  confirmTotpEnrollment,
  disableSecondFactor,
  getLoginApprovalStatus,
  getSecondFactorStatus,
  listLoginApprovals,
  regenerateBackupCodes,
  rejectLogin,
  requestLoginApproval,
  startTotpEnrollment,
  verifySecondFactor,
  changeOrgMemberRole,
  changePassword,
  checkPasswordReset,
  completePasswordReset,
  cliClaim,
  cliCode,
  consumeCliBrowserToken,
  createCliBrowserToken,
  inspectCliBrowserToken,
  cliCodeStatus,
  cliDeny,
  cliRedeem,
  cliTransfer,
  configureHarmontClient,
  createApiToken,
  createOrg,
  createOrgInvitation,
  createHarmontClient,
  deleteAccount,
  deleteOrg,
  generateNonce,
  getBootstrap,
  getOrg,
  getHealth,
  getMeta,
  getReady,
  getSession,
  getUser,
  getUserSettings,
  isErrorEnvelope,
  listApiTokens,
  listOrgInvitations,
  listOrgMembers,
  listOrgs,
  listSessions,
  login,
  logout,
  logoutAll,
  requestEmailCode,
  requestPasswordReset,
  resendVerificationEmail,
  removeOrgMember,
  revokeApiToken,
  revokeOrgInvitation,
  revokeSession,
  signup,
  switchOrg,
  updateOrg,
  updateUser,
  verifyEmail,
  verifyEmailCode,
  type Client,
  type ErrorEnvelope,
  type HarmontClientOptions,
  type SessionToken,
} from "./index.js";

const BASE_URL = "http://harmont.test";

let server: Awaited<ReturnType<typeof createTestServerWithMail>>;

/** A fetch that hands the request to the in-process app, as the node adapter would. */
function appFetch(ip = "127.0.0.1"): typeof fetch {
  return async (input, init) => {
    const request = input instanceof Request && init === undefined ? input : new Request(input, init);
    return server.app.fetch(request, { incoming: { socket: { remoteAddress: ip } } });
  };
}

function harmont(options: Omit<HarmontClientOptions, "fetch" | "baseUrl"> = {}): Client {
  return createHarmontClient({ baseUrl: BASE_URL, fetch: appFetch(), ...options });
}

function expectEnvelope(error: unknown, code: string, status: number, response?: Response): asserts error is ErrorEnvelope {
  expect(isErrorEnvelope(error)).toBe(true);
  const envelope = error as ErrorEnvelope;
  expect(envelope.error.code).toBe(code);
  expect(envelope.error.doc_url).toBe(`${BASE_URL}/docs/api/errors/${code}`);
  expect(envelope.error.request_id).toMatch(/\S/);
  if (response) {
    expect(response.status).toBe(status);
    expect(response.headers.get("x-request-id")).toBe(envelope.error.request_id);
  }
}

beforeAll(async () => {
  server = await createTestServerWithMail(createSqliteTestDatabase(), {
    HARMONT_PUBLIC_URL: BASE_URL,
    HARMONT_ENV: "development",
    HARMONT_LIMIT_SIGNUP_PER_IP: "0",
  });
});

afterAll(async () => {
  await server?.close();
});

/** Every operation this file exercises; checked against the document below. */
const exercised = new Set([
  "getMeta",
  "getHealth",
  "getReady",
  "signup",
  "login",
  "getUser",
  "getSession",
  "listSessions",
  "revokeSession",
  "logout",
  "logoutAll",
  "cliTransfer",
  "cliClaim",
  "cliDeny",
  "cliCode",
  "cliCodeStatus",
  "cliRedeem",
  "createCliBrowserToken",
  "inspectCliBrowserToken",
  "consumeCliBrowserToken",
  "changePassword",
  "requestEmailCode",
  "verifyEmailCode",
  "verifyEmail",
  "resendVerificationEmail",
  "createApiToken",
  "listApiTokens",
  "revokeApiToken",
  "updateUser",
  "getUserSettings",
  "deleteAccount",
  "getBootstrap",
  "switchOrg",
  "createOrg",
  "listOrgs",
  "getOrg",
  "updateOrg",
  "deleteOrg",
  "listOrgMembers",
  "changeOrgMemberRole",
  "removeOrgMember",
  "createOrgInvitation",
  "listOrgInvitations",
  "revokeOrgInvitation",
  "acceptOrgInvitation",
  "requestPasswordReset",
  "checkPasswordReset",
  "completePasswordReset",
  "startTotpEnrollment",
  "confirmTotpEnrollment",
  "getSecondFactorStatus",
  "verifySecondFactor",
  "requestLoginApproval",
  "getLoginApprovalStatus",
  "listLoginApprovals",
  "approveLogin",
  "rejectLogin",
  "regenerateBackupCodes",
  "disableSecondFactor",
  "getOAuthMetadata",
  "oauthDeviceAuthorization",
  "oauthToken",
  "oauthRevoke",
  "oauthIntrospect",
  "lookUpDeviceLogin",
  "approveDeviceLogin",
  "denyDeviceLogin",
  "cliComplete",
  "startImpersonation",
  "stopImpersonation",
]);

describe("coverage", () => {
  it("exercises every operation of openapi/openapi.json", () => {
    const document = JSON.parse(readFileSync(new URL("../../../openapi/openapi.json", import.meta.url), "utf8")) as {
      paths: Record<string, Record<string, { operationId?: string }>>;
    };
    const operations = Object.values(document.paths).flatMap((item) => Object.values(item).map((operation) => operation.operationId));
    const missing = operations.filter((operationId) => !exercised.has(String(operationId)));
    expect(missing, "operations without an SDK test in packages/cloud/src/sdk.test.ts").toEqual([]);
  });
});

describe("meta", () => {
  it("getHealth and getReady answer without a token while the database is up", async () => {
    const health = await getHealth({ client: harmont() });
    expect(health.response.status).toBe(200);
    expect(health.data).toEqual({ status: "ok" });
    const ready = await getReady({ client: harmont() });
    expect(ready.response.status).toBe(200);
    expect(ready.error).toBeUndefined();
  });

  it("getMeta answers without a token", async () => {
    const { data, error, response } = await getMeta({ client: harmont() });
    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    expect(data?.docs_url).toBe(`${BASE_URL}/docs`);
  });
});

describe("accounts and sessions", () => {
  it("signup creates an account; a second signup with the address is email_taken", async () => {
    const email = `ada-${generateNonce().slice(0, 8).toLowerCase()}@example.com`;
    const created = await signup({ client: harmont(), body: { email, password: "correct horse battery staple", name: "Ada" } });
    expect(created.response.status).toBe(201);
    expect(created.data?.token).toMatch(/^hmt_/);
    expect(created.data?.user).toMatchObject({ email, name: "Ada" });

    const again = await signup({ client: harmont(), body: { email, password: "correct horse battery staple" } });
    expect(again.data).toBeUndefined();
    expectEnvelope(again.error, "email_taken", 409, again.response);
    expect(again.error.error.type).toBe("conflict");
  });

  it("signup refuses a short password with password_rejected", async () => {
    const { error, response } = await signup({ client: harmont(), body: { email: "short@example.com", password: "short" } });
    expectEnvelope(error, "password_rejected", 400, response);
  });

  it("login signs in; a wrong password is invalid_credentials", async () => {
    const account = await signUp(server);
    const signedIn = await login({ client: harmont(), body: { email: account.email, password: account.password } });
    expect(signedIn.response.status).toBe(200);
    expect(signedIn.data?.user.id).toBe(account.user.id);

    const wrong = await login({ client: harmont(), body: { email: account.email, password: "not the password" } });
    expectEnvelope(wrong.error, "invalid_credentials", 401, wrong.response);
  });

  it("getUser reads the token lazily from a function, on every request", async () => {
    const account = await signUp(server);
    let current: string | undefined;
    const client = harmont({ token: async () => current });

    const before = await getUser({ client });
    expectEnvelope(before.error, "unauthorized", 401, before.response);

    current = account.token;
    const after = await getUser({ client });
    expect(after.data).toMatchObject({ id: account.user.id, email: account.email });
  });

  it("getSession and listSessions describe the caller's sessions", async () => {
    const account = await signUp(server);
    const client = harmont({ token: account.token });
    const current = await getSession({ client });
    expect(current.data?.user.id).toBe(account.user.id);
    expect(current.data?.session.kind).toBe("web");

    const list = await listSessions({ client });
    expect(list.data?.sessions).toHaveLength(1);
    expect(list.data?.sessions[0]?.current).toBe(true);

    const anonymous = await listSessions({ client: harmont() });
    expectEnvelope(anonymous.error, "unauthorized", 401, anonymous.response);
  });

  it("revokeSession revokes another session by id (path parameter); an unknown id is not_found", async () => {
    const account = await signUp(server);
    const second = await login({ client: harmont(), body: { email: account.email, password: account.password }, throwOnError: true });
    const client = harmont({ token: account.token });
    const sessions = await listSessions({ client, throwOnError: true });
    const other = sessions.data.sessions.find((session) => !session.current);
    expect(other).toBeDefined();

    const revoked = await revokeSession({ client, path: { id: other!.id } });
    expect(revoked.response.status).toBe(204);
    expect(revoked.error).toBeUndefined();
    const afterRevoke = await getUser({ client: harmont({ token: second.data.token }) });
    expectEnvelope(afterRevoke.error, "unauthorized", 401, afterRevoke.response);

    const unknown = await revokeSession({ client, path: { id: "ses_doesnotexist0000000" } });
    expectEnvelope(unknown.error, "not_found", 404, unknown.response);
  });

  it("logout revokes the token it is called with, and is idempotent", async () => {
    const account = await signUp(server);
    const client = harmont({ token: account.token });
    const first = await logout({ client });
    expect(first.response.status).toBe(204);
    const second = await logout({ client });
    expect(second.response.status).toBe(204);
    const check = await getUser({ client });
    expectEnvelope(check.error, "unauthorized", 401, check.response);

    const missing = await logout({ client: harmont() });
    expectEnvelope(missing.error, "unauthorized", 401, missing.response);
  });

  it("logoutAll revokes every session of the user", async () => {
    const account = await signUp(server);
    const other = await login({ client: harmont(), body: { email: account.email, password: account.password }, throwOnError: true });
    const done = await logoutAll({ client: harmont({ token: account.token }) });
    expect(done.response.status).toBe(204);
    for (const token of [account.token, other.data.token]) {
      const check = await getUser({ client: harmont({ token }) });
      expectEnvelope(check.error, "unauthorized", 401, check.response);
    }
    const again = await logoutAll({ client: harmont({ token: account.token }) });
    expectEnvelope(again.error, "unauthorized", 401, again.response);
  });
});

describe("API tokens", () => {
  it("createApiToken answers a token once; it reads the account; listApiTokens and revokeApiToken manage it", async () => {
    const account = await signUp(server);
    const made = await createApiToken({ client: harmont({ token: account.token }), body: { name: "SDK test", expires_in_days: 7 } });
    expect(made.response.status).toBe(201);
    const token = made.data!.token;
    expect(token).toMatch(/^hma_/);
    const me = await getUser({ client: harmont({ token }) });
    expect(me.data?.email).toBe(account.email);

    const refused = await createApiToken({ client: harmont({ token }), body: { name: "from a token", expires_in_days: 1 } });
    expectEnvelope(refused.error, "forbidden", 403, refused.response);

    const listed = await listApiTokens({ client: harmont({ token: account.token }) });
    expect(listed.data?.tokens.map((entry) => entry.name)).toEqual(["SDK test"]);
    const revoked = await revokeApiToken({ client: harmont({ token: account.token }), path: { id: made.data!.api_token.id } });
    expect(revoked.response.status).toBe(204);
    expect((await getUser({ client: harmont({ token }) })).response.status).toBe(401);
    const again = await revokeApiToken({ client: harmont({ token: account.token }), path: { id: made.data!.api_token.id } });
    expectEnvelope(again.error, "not_found", 404, again.response);
  });

  it("createApiToken refuses an expiry past the server's maximum", async () => {
    const account = await signUp(server);
    const { error, response } = await createApiToken({ client: harmont({ token: account.token }), body: { name: "too long", expires_in_days: 1000 } });
    expectEnvelope(error, "api_token_expiry_too_long", 400, response);
  });
});

describe("the account", () => {
  it("updateUser changes the name and the notice setting; getUserSettings reads them", async () => {
    const account = await signUp(server);
    const client = harmont({ token: account.token });
    const updated = await updateUser({ client, body: { name: "Ada", notify_new_cli_sessions: false } });
    expect(updated.data?.user.name).toBe("Ada");
    expect(updated.data?.settings).toEqual({ notify_new_cli_sessions: false, deletion_due_at: null });
    expect((await getUserSettings({ client })).data).toEqual({ notify_new_cli_sessions: false, deletion_due_at: null });
    const bad = await updateUser({ client, body: { name: "x".repeat(101) } });
    expectEnvelope(bad.error, "invalid_request", 400, bad.response);
  });

  it("deleteAccount needs the password and schedules the deletion", async () => {
    const account = await signUp(server);
    const client = harmont({ token: account.token });
    const wrong = await deleteAccount({ client, body: { password: "wrong password here" } });
    expectEnvelope(wrong.error, "invalid_credentials", 401, wrong.response);
    const done = await deleteAccount({ client, body: { password: account.password } });
    expect(done.data?.state).toBe("scheduled");
    expect(typeof done.data?.due_at).toBe("string");
    expect((await getUser({ client })).response.status).toBe(401);
  });
});

describe("support sessions", () => {
  it("startImpersonation refuses a non-operator and is for operators; stopImpersonation ends one, and answers 404 for other sessions", async () => {
    const ada = await signUp(server);
    const operator = await signUp(server);
    const client = harmont({ token: operator.token });
    const code = await server.smtp.latestCode(operator.email);
    expect((await verifyEmail({ client, body: { code } })).response.status).toBe(200);
    const refused = await startImpersonation({ client, body: { email: ada.email, reason: "Ticket #1: checking the settings page", method: "totp", code: "123456" } });
    expectEnvelope(refused.error, "forbidden", 403, refused.response);

    const { secret } = (await startTotpEnrollment({ client, body: { password: operator.password }, throwOnError: true })).data;
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) });
    await confirmTotpEnrollment({ client, body: { code: totp.generate({ timestamp: server.clock.now() }) }, throwOnError: true });
    await server.database.store.users.setPlatformRole(operator.user.id, "operator", server.clock.now());
    server.clock.advance(30_000);
    const started = await startImpersonation({
      client,
      body: { email: ada.email, reason: "Ticket #1: checking the settings page", method: "totp", code: totp.generate({ timestamp: server.clock.now() }) },
      throwOnError: true,
    });
    expect(started.data.impersonation.impersonator.email).toBe(operator.email);
    const support = harmont({ token: started.data.token });
    expect((await getSession({ client: support, throwOnError: true })).data.impersonation?.reason).toBe("Ticket #1: checking the settings page");
    const notSupport = await stopImpersonation({ client });
    expectEnvelope(notSupport.error, "not_found", 404, notSupport.response);
    expect((await stopImpersonation({ client: support })).response.status).toBe(204);
    expect((await getSession({ client: support })).response.status).toBe(401);
  });
});

describe("the device grant", () => {
  it("oauthDeviceAuthorization and oauthToken with form bodies; lookUpDeviceLogin, approveDeviceLogin, denyDeviceLogin and cliComplete answer; oauthRevoke and oauthIntrospect", async () => {
    const metadata = await getOAuthMetadata({ client: harmont(), throwOnError: true });
    expect(metadata.data.device_authorization_endpoint).toBe(`${BASE_URL}/api/v0/oauth/device_authorization`);
    const account = await signUp(server);
    const client = harmont({ token: account.token });
    const grant = "urn:ietf:params:oauth:grant-type:device_code" as const;

    const first = await oauthDeviceAuthorization({ client: harmont(), body: { client_id: "harmont-cli", name: "sdk test" }, throwOnError: true });
    const pending = await oauthToken({ client: harmont(), body: { grant_type: grant, client_id: "harmont-cli", device_code: first.data.device_code } });
    expect([pending.response.status, pending.error?.error]).toEqual([400, "authorization_pending"]);
    const looked = await lookUpDeviceLogin({ client, body: { user_code: first.data.user_code }, throwOnError: true });
    expect(looked.data).toMatchObject({ client_name: "Harmont CLI", session_name: "sdk test", status: "pending" });
    expect((await approveDeviceLogin({ client, body: { user_code: first.data.user_code } })).response.status).toBe(204);
    const token = await oauthToken({ client: harmont(), body: { grant_type: grant, client_id: "harmont-cli", device_code: first.data.device_code }, throwOnError: true });
    expect(token.data.access_token).toMatch(/^hmt_/);

    const second = await oauthDeviceAuthorization({ client: harmont(), body: { client_id: "harmont-cli" }, throwOnError: true });
    expect((await denyDeviceLogin({ client, body: { user_code: second.data.user_code } })).response.status).toBe(204);
    const denied = await oauthToken({ client: harmont(), body: { grant_type: grant, client_id: "harmont-cli", device_code: second.data.device_code } });
    expect(denied.error?.error).toBe("access_denied");
    const wrong = await lookUpDeviceLogin({ client, body: { user_code: second.data.user_code } });
    expectEnvelope(wrong.error, "user_code_invalid", 400, wrong.response);

    const third = await oauthDeviceAuthorization({ client: harmont(), body: { client_id: "harmont-cli" }, throwOnError: true });
    expect((await cliComplete({ client, body: { login_code: third.data.user_code }, throwOnError: true })).data).toEqual({ success: true });

    const introspected = await oauthIntrospect({ client: harmont(), body: { token: token.data.access_token, client_id: "nobody", client_secret: "x" } });
    expect([introspected.response.status, introspected.error?.error]).toEqual([401, "invalid_client"]);
    expect((await oauthRevoke({ client: harmont(), body: { token: token.data.access_token, client_id: "harmont-cli" } })).response.status).toBe(200);
    expect((await getSession({ client: harmont({ token: token.data.access_token }) })).response.status).toBe(401);
  });
});

describe("two-step verification", () => {
  it("startTotpEnrollment and confirmTotpEnrollment turn it on; login answers 202; verifySecondFactor and an approval finish a sign-in", async () => {
    const account = await signUp(server);
    const client = harmont({ token: account.token });
    const code = await server.smtp.latestCode(account.email);
    expect((await verifyEmail({ client, body: { code } })).response.status).toBe(200);
    const app = (secret: string) => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) }).generate({ timestamp: server.clock.now() });

    const started = await startTotpEnrollment({ client, body: { password: account.password }, throwOnError: true });
    const confirmed = await confirmTotpEnrollment({ client, body: { code: app(started.data.secret) }, throwOnError: true });
    expect(confirmed.data.backup_codes).toHaveLength(10);
    expect((await getSecondFactorStatus({ client, throwOnError: true })).data).toMatchObject({ enabled: true, backup_codes_remaining: 10 });
    server.clock.advance(30_000);

    const first = await login({ client: harmont(), body: { email: account.email, password: account.password } });
    expect(first.response.status).toBe(202);
    const challenge = first.data as unknown as { challenge_token: string; methods: string[] };
    const wrong = await verifySecondFactor({ client: harmont(), body: { challenge_token: challenge.challenge_token, method: "backup_code", code: "0000-0000-0000-0000" } });
    expectEnvelope(wrong.error, "second_factor_invalid", 400, wrong.response);
    const signedIn = await verifySecondFactor({ client: harmont(), body: { challenge_token: challenge.challenge_token, method: "totp", code: app(started.data.secret) }, throwOnError: true });
    expect(signedIn.data.token).toMatch(/^hmt_/);

    // Approval from the enrolled session: one refused, one approved.
    for (const decision of ["reject", "approve"] as const) {
      const waiting = (await login({ client: harmont(), body: { email: account.email, password: account.password } })).data as unknown as { challenge_token: string };
      const requested = await requestLoginApproval({ client: harmont(), body: { challenge_token: waiting.challenge_token }, throwOnError: true });
      const pending = await getLoginApprovalStatus({ client: harmont(), body: { challenge_token: waiting.challenge_token }, throwOnError: true });
      expect(pending.data.status).toBe("pending");
      const listed = await listLoginApprovals({ client, throwOnError: true });
      const id = listed.data.approvals[0]!.id;
      if (decision === "reject") {
        expect((await rejectLogin({ client, path: { id }, body: { report: false } })).response.status).toBe(204);
        const refused = await getLoginApprovalStatus({ client: harmont(), body: { challenge_token: waiting.challenge_token } });
        expectEnvelope(refused.error, "login_approval_rejected", 403, refused.response);
      } else {
        expect((await approveLogin({ client, path: { id }, body: { number: requested.data.approval_number } })).response.status).toBe(204);
        const approved = await getLoginApprovalStatus({ client: harmont(), body: { challenge_token: waiting.challenge_token }, throwOnError: true });
        expect([approved.data.status, approved.data.token?.slice(0, 4)]).toEqual(["approved", "hmt_"]);
      }
    }

    const regenerated = await regenerateBackupCodes({ client, body: { method: "backup_code", code: confirmed.data.backup_codes[0]!, password: account.password }, throwOnError: true });
    expect(regenerated.data.backup_codes).toHaveLength(10);
    server.clock.advance(30_000);
    const disabled = await disableSecondFactor({ client, body: { method: "totp", code: app(started.data.secret), password: account.password } });
    expect(disabled.response.status).toBe(204);
    const again = await disableSecondFactor({ client, body: { method: "totp", code: app(started.data.secret), password: account.password } });
    expectEnvelope(again.error, "second_factor_not_enabled", 409, again.response);
  });
});

describe("password reset", () => {
  it("requestPasswordReset mails a link; checkPasswordReset reads it; completePasswordReset sets the password once", async () => {
    const account = await signUp(server);
    const since = server.smtp.messages.length;
    const requested = await requestPasswordReset({ client: harmont(), body: { email: account.email } });
    expect(requested.response.status).toBe(202);
    expect(requested.data).toEqual({ status: "sent", expires_in: 1800 });
    const mail = await server.smtp.waitForMail(account.email, since);
    const token = /#token=(hrt_[A-Za-z0-9_-]{43})/.exec(mail.raw.replace(/=\r?\n/g, ""))![1]!;
    expect((await checkPasswordReset({ client: harmont(), body: { token } })).data?.second_factor_required).toBe(false);
    const done = await completePasswordReset({ client: harmont(), body: { token, new_password: "an entirely new passphrase" } });
    expect(done.response.status).toBe(204);
    const again = await completePasswordReset({ client: harmont(), body: { token, new_password: "an entirely new passphrase" } });
    expectEnvelope(again.error, "password_reset_invalid", 400, again.response);
    expect((await login({ client: harmont(), body: { email: account.email, password: "an entirely new passphrase" } })).response.status).toBe(200);
  });
});

describe("organizations", () => {
  /** A signed-up account whose address is verified (orgs need one). */
  async function verified() {
    const account = await signUp(server);
    const code = await server.smtp.latestCode(account.email);
    expect((await verifyEmail({ client: harmont({ token: account.token }), body: { code } })).response.status).toBe(200);
    return { ...account, client: harmont({ token: account.token }) };
  }

  it("createOrg, getBootstrap, switchOrg, listOrgs, getOrg, updateOrg and deleteOrg", async () => {
    const ada = await verified();
    const created = await createOrg({ client: ada.client, body: { name: "Acme SDK" } });
    expect(created.response.status).toBe(201);
    const orgId = created.data!.id;
    const boot = await getBootstrap({ client: ada.client });
    expect(boot.data?.active_org?.id).toBe(orgId);
    expect(boot.data?.session.org_role).toBe("owner");
    const cleared = await switchOrg({ client: ada.client, body: { org_id: null } });
    expect(cleared.data?.active_org).toBeNull();
    const missing = await switchOrg({ client: ada.client, body: { org_id: "org_nope" } });
    expectEnvelope(missing.error, "organization_not_found", 404, missing.response);
    expect((await switchOrg({ client: ada.client, body: { org_id: orgId } })).data?.session.org_id).toBe(orgId);
    expect((await listOrgs({ client: ada.client })).data?.orgs.map((org) => org.id)).toEqual([orgId]);
    expect((await getOrg({ client: ada.client, path: { org_id: orgId } })).data?.role).toBe("owner");
    expect((await updateOrg({ client: ada.client, path: { org_id: orgId }, body: { name: "Acme Renamed" } })).data?.name).toBe("Acme Renamed");
    expect((await deleteOrg({ client: ada.client, path: { org_id: orgId } })).response.status).toBe(204);
    const gone = await getOrg({ client: ada.client, path: { org_id: orgId } });
    expectEnvelope(gone.error, "organization_not_found", 404, gone.response);
  });

  it("createOrgInvitation, listOrgInvitations, revokeOrgInvitation, acceptOrgInvitation, listOrgMembers, changeOrgMemberRole and removeOrgMember", async () => {
    const owner = await verified();
    const orgId = (await createOrg({ client: owner.client, body: { name: "Invites" } })).data!.id;
    const grace = await verified();
    const since = server.smtp.messages.length;
    const invited = await createOrgInvitation({ client: owner.client, path: { org_id: orgId }, body: { email: grace.email, role: "member" } });
    expect(invited.response.status).toBe(201);
    const token = /#token=(hin_[A-Za-z0-9_-]{43})/.exec((await server.smtp.waitForMail(grace.email, since)).raw)![1]!;
    expect((await listOrgInvitations({ client: owner.client, path: { org_id: orgId } })).data?.invitations.map((each) => each.email)).toEqual([grace.email]);
    const accepted = await acceptOrgInvitation({ client: grace.client, body: { token } });
    expect(accepted.data?.role).toBe("member");
    const used = await acceptOrgInvitation({ client: grace.client, body: { token } });
    expectEnvelope(used.error, "invite_invalid", 400, used.response);

    const members = await listOrgMembers({ client: grace.client, path: { org_id: orgId } });
    expect(members.data?.members).toHaveLength(2);
    const graceId = members.data!.members.find((member) => member.user.email === grace.email)!.user.id;
    expect((await changeOrgMemberRole({ client: owner.client, path: { org_id: orgId, user_id: graceId }, body: { role: "admin" } })).data?.role).toBe("admin");
    const ownerId = members.data!.members.find((member) => member.role === "owner")!.user.id;
    const lastOwner = await changeOrgMemberRole({ client: owner.client, path: { org_id: orgId, user_id: ownerId }, body: { role: "member" } });
    expectEnvelope(lastOwner.error, "last_owner", 409, lastOwner.response);

    const second = await createOrgInvitation({ client: grace.client, path: { org_id: orgId }, body: { email: "later@example.com", role: "member" } });
    expect((await revokeOrgInvitation({ client: grace.client, path: { org_id: orgId, invitation_id: second.data!.id } })).response.status).toBe(204);
    expect((await removeOrgMember({ client: grace.client, path: { org_id: orgId, user_id: graceId } })).response.status).toBe(204);
    const left = await listOrgMembers({ client: grace.client, path: { org_id: orgId } });
    expectEnvelope(left.error, "organization_not_found", 404, left.response);
  });
});

describe("passwords and email codes", () => {
  it("changePassword sets a new password; a wrong current one is invalid_credentials", async () => {
    const account = await signUp(server);
    const client = harmont({ token: account.token });
    const wrong = await changePassword({ client, body: { current_password: "not the password", new_password: "a brand new passphrase" } });
    expectEnvelope(wrong.error, "invalid_credentials", 401, wrong.response);

    const changed = await changePassword({ client, body: { current_password: account.password, new_password: "a brand new passphrase" } });
    expect(changed.response.status).toBe(204);
    const signedIn = await login({ client: harmont(), body: { email: account.email, password: "a brand new passphrase" } });
    expect(signedIn.data?.user.id).toBe(account.user.id);
  });

  it("requestEmailCode mails a code and verifyEmailCode signs in with it, once", async () => {
    const account = await signUp(server);
    const since = server.smtp.messages.length;
    const requested = await requestEmailCode({ client: harmont(), body: { email: account.email } });
    expect(requested.response.status).toBe(202);
    expect(requested.data).toMatchObject({ status: "sent" });
    await server.smtp.waitForMail(account.email, since);
    const code = await server.smtp.latestCode(account.email);

    const verified = await verifyEmailCode({ client: harmont(), body: { email: account.email, code } });
    expect(verified.data?.user.id).toBe(account.user.id);
    expect(verified.data?.token).toMatch(/^hmt_/);

    const again = await verifyEmailCode({ client: harmont(), body: { email: account.email, code } });
    expectEnvelope(again.error, "email_code_invalid", 400, again.response);
  });

  it("resendVerificationEmail mails a verification code and verifyEmail accepts it", async () => {
    const email = `verify-${generateNonce().slice(0, 8).toLowerCase()}@example.com`;
    const created = await signup({ client: harmont(), body: { email, password: "correct horse battery staple" }, throwOnError: true });
    const client = harmont({ token: created.data.token });
    const since = server.smtp.messages.length;
    const resent = await resendVerificationEmail({ client });
    expect(resent.response.status).toBe(202);
    await server.smtp.waitForMail(email, since);
    const code = await server.smtp.latestCode(email);

    const wrong = await verifyEmail({ client, body: { code: code === "00000000" ? "11111111" : "00000000" } });
    expectEnvelope(wrong.error, "email_code_invalid", 400, wrong.response);
    const verified = await verifyEmail({ client, body: { code } });
    expect(verified.data?.email).toBe(email);

    const anonymous = await resendVerificationEmail({ client: harmont() });
    expectEnvelope(anonymous.error, "unauthorized", 401, anonymous.response);
  });
});

describe("CLI login: loopback handoff", () => {
  it("transfer parks a token under the nonce, claim takes it once", async () => {
    const account = await signUp(server);
    const browser = harmont({ token: account.token });
    const cli = harmont();
    const nonce = generateNonce();

    const early = await cliClaim({ client: cli, body: { nonce } });
    expectEnvelope(early.error, "cli_code_invalid", 400, early.response);

    const parked = await cliTransfer({ client: browser, body: { nonce } });
    expect(parked.response.status).toBe(204);
    expect(parked.error).toBeUndefined();

    // The first answer stands: a second transfer for the same nonce cannot swap the account.
    const swapped = await cliTransfer({ client: browser, body: { nonce } });
    expectEnvelope(swapped.error, "cli_nonce_in_use", 409, swapped.response);

    const claimed = await cliClaim({ client: cli, body: { nonce, name: "sdk test" } });
    expect(claimed.data?.token).toMatch(/^hmt_/);
    const me = await getSession({ client: harmont({ token: claimed.data!.token }) });
    expect(me.data?.session).toMatchObject({ kind: "cli", name: "sdk test" });

    const twice = await cliClaim({ client: cli, body: { nonce } });
    expectEnvelope(twice.error, "cli_code_invalid", 400, twice.response);
  });

  it("transfer refuses a malformed nonce and an anonymous caller", async () => {
    const account = await signUp(server);
    const short = await cliTransfer({ client: harmont({ token: account.token }), body: { nonce: "short" } });
    expectEnvelope(short.error, "invalid_nonce", 400, short.response);
    const anonymous = await cliTransfer({ client: harmont(), body: { nonce: generateNonce() } });
    expectEnvelope(anonymous.error, "unauthorized", 401, anonymous.response);
  });

  it("deny makes the next claim answer cli_handoff_denied", async () => {
    const account = await signUp(server);
    const nonce = generateNonce();
    const denied = await cliDeny({ client: harmont({ token: account.token }), body: { nonce } });
    expect(denied.response.status).toBe(204);
    const claim = await cliClaim({ client: harmont(), body: { nonce } });
    expectEnvelope(claim.error, "cli_handoff_denied", 403, claim.response);

    const anonymous = await cliDeny({ client: harmont(), body: { nonce: generateNonce() } });
    expectEnvelope(anonymous.error, "unauthorized", 401, anonymous.response);
  });
});

describe("CLI login: paste code", () => {
  it("code mints a paste code, redeem exchanges it once", async () => {
    const account = await signUp(server);
    const minted = await cliCode({ client: harmont({ token: account.token }) });
    expect(minted.data?.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{16}$/);
    expect(Date.parse(minted.data!.expires_at)).toBeGreaterThan(0);

    const waiting = await cliCodeStatus({ client: harmont({ token: account.token }), body: { code: minted.data!.code } });
    expect(waiting.data).toEqual({ state: "waiting", expires_at: minted.data!.expires_at });

    const redeemed = await cliRedeem({ client: harmont(), body: { code: minted.data!.code, name: "sdk test" } });
    expect(redeemed.data?.token).toMatch(/^hmt_/);
    const used = await cliCodeStatus({ client: harmont({ token: account.token }), body: { code: minted.data!.code } });
    expect(used.data).toMatchObject({ state: "used", session_name: "sdk test" });

    const twice = await cliRedeem({ client: harmont(), body: { code: minted.data!.code } });
    expectEnvelope(twice.error, "cli_code_invalid", 400, twice.response);

    const anonymous = await cliCode({ client: harmont() });
    expectEnvelope(anonymous.error, "unauthorized", 401, anonymous.response);
  });
});

describe("CLI → browser", () => {
  it("createCliBrowserToken is for CLI sessions; inspect shows whose code it is; consume uses it once", async () => {
    const account = await signUp(server);
    const web = await createCliBrowserToken({ client: harmont({ token: account.token }) });
    expectEnvelope(web.error, "forbidden", 403, web.response);

    const pasted = await cliCode({ client: harmont({ token: account.token }) });
    const cli = (await cliRedeem({ client: harmont(), body: { code: pasted.data!.code, name: "sdk open" } })).data!.token;
    const minted = await createCliBrowserToken({ client: harmont({ token: cli }) });
    expect(minted.data?.code).toMatch(/^hbt_[A-Za-z0-9_-]{43}$/);
    expect(minted.data?.url).toMatch(/\/cli-open#code=hbt_/);
    const code = minted.data!.code;

    const seen = await inspectCliBrowserToken({ client: harmont(), body: { code } });
    expect(seen.data).toMatchObject({ user: { email: account.email }, cli_session: { name: "sdk open" } });
    const consumed = await consumeCliBrowserToken({ client: harmont(), body: { code } });
    expect(consumed.data).toEqual({ user: expect.objectContaining({ email: account.email }), session_created: true });
    expect(consumed.response.headers.get("set-cookie")).toMatch(/HttpOnly/);
    const twice = await consumeCliBrowserToken({ client: harmont(), body: { code } });
    expectEnvelope(twice.error, "cli_browser_token_invalid", 400, twice.response);
    const gone = await inspectCliBrowserToken({ client: harmont(), body: { code } });
    expectEnvelope(gone.error, "cli_browser_token_invalid", 400, gone.response);
  });
});

describe("throwOnError", () => {
  it("per call: returns the data on success and throws the typed envelope on failure", async () => {
    const account = await signUp(server);
    const { data } = await getUser({ client: harmont({ token: account.token }), throwOnError: true });
    expectTypeOf(data).toEqualTypeOf<{ id: string; email: string; name: string | null }>();
    expect(data.id).toBe(account.user.id);

    const failure: unknown = await cliClaim({ client: harmont(), body: { nonce: generateNonce() }, throwOnError: true }).catch((error: unknown) => error);
    expectEnvelope(failure, "cli_code_invalid", 400);
  });

  it("per client: the client's throwOnError makes every call throw", async () => {
    const client = harmont({ throwOnError: true });
    await expect(getUser({ client })).rejects.toMatchObject({ error: { code: "unauthorized", type: "unauthorized" } });
    const meta = await getMeta({ client });
    expect(meta.data?.version).toMatch(/\S/);
  });

  it("a network failure is thrown as is, and is not an envelope", async () => {
    const client = createHarmontClient({
      baseUrl: BASE_URL,
      fetch: async () => {
        throw new TypeError("fetch failed");
      },
    });
    const failure: unknown = await getMeta({ client, throwOnError: true }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TypeError);
    expect(isErrorEnvelope(failure)).toBe(false);
  });
});

describe("types", () => {
  it("errors are typed as the envelope, data as the response schema", async () => {
    const result = await cliClaim({ client: harmont(), body: { nonce: generateNonce() } });
    if (result.error) {
      expectTypeOf(result.error).toEqualTypeOf<ErrorEnvelope>();
      expect(result.error.error.code).toBe("cli_code_invalid");
    } else {
      expectTypeOf(result.data).toEqualTypeOf<SessionToken>();
    }
  });
});

describe("the default client", () => {
  it("configureHarmontClient sets the client used when none is passed", async () => {
    const account = await signUp(server);
    configureHarmontClient({ baseUrl: BASE_URL, fetch: appFetch(), token: () => account.token });
    const { data } = await getUser();
    expect(data?.id).toBe(account.user.id);
  });
});
