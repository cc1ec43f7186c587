import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { auditActions } from "./audit-actions.js";

const sourceDirectory = fileURLToPath(new URL("../", import.meta.url));

function listSources(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return entry.name === "test-support" ? [] : listSources(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

/**
 * Every string the server's sources give as an audit action: the literals of each `action:` or
 * `auditAction:` value, ternaries included (`parked ? "cli.handoff.parked" : "…"`).
 */
function recordedActions(): Map<string, string> {
  const found = new Map<string, string>();
  for (const path of listSources(sourceDirectory)) {
    const source = readFileSync(path, "utf8");
    for (const [, value] of source.matchAll(/\b(?:action|auditAction):\s*([^,}\n]+)/g)) {
      for (const [, literal] of value!.matchAll(/"([^"]+)"/g)) found.set(literal!, relative(sourceDirectory, path));
    }
  }
  return found;
}

describe("the audit actions", () => {
  it("name every action the server records", () => {
    const recorded = recordedActions();
    expect(recorded.size).toBeGreaterThanOrEqual(20);
    for (const [action, file] of recorded) expect(Object.keys(auditActions), `${file} records ${action}`).toContain(action);
  });

  it("are lower-case dotted names, each explained in full", () => {
    for (const [action, definition] of Object.entries(auditActions)) {
      expect(action).toMatch(/^[a-z_]+(\.[a-z_]+)+$/);
      for (const text of [definition.happened, definition.actor, definition.target]) expect(text.trim().length, action).toBeGreaterThan(0);
    }
  });
});
