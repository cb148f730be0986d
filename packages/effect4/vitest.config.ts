import * as path from "node:path"
import { defineConfig } from "vitest/config"

// The sources themselves, not a build, as tsconfig.json's "paths" map them.
const alias = [
  { find: /^@effect-concurrency-limiter\/effect4$/, replacement: path.join(import.meta.dirname, "src/index.ts") },
  { find: /^@effect-concurrency-limiter\/effect4\/(.*)$/, replacement: path.join(import.meta.dirname, "src/$1.ts") },
  { find: /^@effect-concurrency-limiter\/core\/(.*)$/, replacement: path.join(import.meta.dirname, "../core/src/$1.ts") }
]

export default defineConfig({
  resolve: { alias },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: process.env.CI ? ["default", "json"] : ["default"],
    outputFile: { json: ".vitest-results.json" }
  }
})
