import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "packages/*/test/**/*.test.ts", "docs/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file gets its own databases; files run in parallel on the machine's cores.
    pool: "forks",
    reporters: ["default", "json"],
    outputFile: { json: "test-results/results.json" },
  },
});
