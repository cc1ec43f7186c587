import { afterEach, describe, expect, it, vi } from "vitest";
import { captureInvitationToken, currentInvitationToken, finishInvitation, parseInvitationFragment } from "./invitation-token";

const token = `hin_${"A".repeat(43)}`;

describe("invitation tokens", () => {
  const storage = new Map<string, string>();
  vi.stubGlobal("sessionStorage", {
    getItem: (key: string) => storage.get(key) ?? null,
    setItem: (key: string, value: string) => void storage.set(key, value),
    removeItem: (key: string) => void storage.delete(key),
  });
  afterEach(() => storage.clear());

  it("reads only a well-formed hin_ token from the fragment", () => {
    expect(parseInvitationFragment(`#token=${token}`)).toBe(token);
    for (const hash of ["", "#", "#token=", `#token=hmt_${"A".repeat(43)}`, `#token=${token}x`, "#token=hin_short"]) expect(parseInvitationFragment(hash)).toBeNull();
  });

  it("moves the token out of the address bar into this tab's storage, on /invitations only", () => {
    const replaced: string[] = [];
    captureInvitationToken("/account", `#token=${token}`, (path) => replaced.push(path));
    expect(replaced).toEqual([]);
    expect(currentInvitationToken()).toBeNull();
    captureInvitationToken("/invitations", `#token=${token}`, (path) => replaced.push(path));
    expect(replaced).toEqual(["/invitations"]);
    expect(currentInvitationToken()).toBe(token);
    finishInvitation();
    expect(currentInvitationToken()).toBeNull();
  });
});
