import { describe, expect, it } from "vitest";
import { commandHint, defaultHintTarget, harmontCommand } from "./hints.js";

describe("command hints", () => {
  it("are bare for the default profile and a server found without flags", () => {
    expect(commandHint(defaultHintTarget, "login")).toBe("`harmont login`");
    expect(commandHint(defaultHintTarget, "sessions revoke <id>")).toBe("`harmont sessions revoke <id>`");
  });

  it("repeat --profile for another profile, and --api-url when the flag chose the server", () => {
    const target = { profile: "work", apiUrl: "https://auth.staging.example.com", webUrl: null };
    expect(commandHint(target, "login")).toBe("`harmont login --profile work --api-url https://auth.staging.example.com`");
    expect(commandHint({ ...target, apiUrl: null }, "sessions revoke <id>")).toBe("`harmont sessions revoke <id> --profile work`");
  });

  it("keep the shell line around the command in place", () => {
    const target = { profile: "work", apiUrl: null, webUrl: null };
    expect(commandHint(target, "login --paste", { before: "echo CODE | " })).toBe("`echo CODE | harmont login --paste --profile work`");
    expect(commandHint(target, "login --with-token", { after: " < token.txt" })).toBe("`harmont login --with-token --profile work < token.txt`");
  });

  it("repeat --web-url only for logins that go through the web app", () => {
    const target = { profile: null, apiUrl: null, webUrl: "https://app.example.com" };
    expect(harmontCommand(target, "login --paste")).toBe("harmont login --paste --web-url https://app.example.com");
    expect(harmontCommand(target, "login --with-token")).toBe("harmont login --with-token");
    expect(harmontCommand(target, "login --device")).toBe("harmont login --device");
    expect(harmontCommand(target, "sessions revoke <id>")).toBe("harmont sessions revoke <id>");
  });

  it("quote what a shell would otherwise change", () => {
    expect(harmontCommand({ profile: null, apiUrl: "http://[::1]:8080", webUrl: null }, "login")).toBe("harmont login --api-url 'http://[::1]:8080'");
  });
});
