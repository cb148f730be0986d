import * as path from "node:path"
import { defineConfig, defineProject } from "vitest/config"
import { projects } from "./test/projects.js"

// The sources themselves, not a build: the package's name and the shared
// core's, as tsconfig.json's "paths" map them for the type checker.
const alias = [
  { find: /^effect-concurrency-limiter$/, replacement: path.join(import.meta.dirname, "src/index.ts") },
  { find: /^effect-concurrency-limiter\/(.*)$/, replacement: path.join(import.meta.dirname, "src/$1.ts") },
  { find: /^@effect-concurrency-limiter\/core\/(.*)$/, replacement: path.join(import.meta.dirname, "packages/core/src/$1.ts") }
]

/**
 * `npm test` runs four projects, so that a failure says which kind of test
 * failed (the classification, by file name, is in test/projects.ts):
 * `npx vitest run --project unit` runs one of them.
 */
export default defineConfig({
  resolve: { alias },
  test: {
    projects: projects.map(({ exclude, include, name }) =>
      defineProject({
        resolve: { alias },
        test: {
          name,
          // The CPU-heavy stress project runs after the others, alone, so that
          // it never slows their waits on real servers.
          sequence: { groupOrder: name === "stress" ? 1 : 0 },
          include: [...include],
          exclude: [...exclude],
          testTimeout: 30_000,
          hookTimeout: 60_000
        }
      })
    ),
    // In CI a JSON report as well, from which .ci/run prints a plain
    // "N passed, N failed" line.
    reporters: process.env.CI ? ["default", "json"] : ["default"],
    outputFile: { json: ".vitest-results.json" }
  }
})
