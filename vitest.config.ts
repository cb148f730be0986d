import * as path from "node:path"
import { defineConfig } from "vitest/config"

export default defineConfig({
  resolve: {
    alias: {
      "effect-concurrency-limiter": path.join(import.meta.dirname, "src/index.ts")
    }
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    // In CI a JSON report as well, from which .ci/run prints a plain
    // "N passed, N failed" line.
    reporters: process.env.CI ? ["default", "json"] : ["default"],
    outputFile: { json: ".vitest-results.json" },
    hookTimeout: 60_000
  }
})
