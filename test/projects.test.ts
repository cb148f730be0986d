/**
 * Every test file is in exactly one of the projects of vitest.config.ts,
 * as vitest itself resolves their globs: a new file lands in one, never in
 * none (not run) or two (run twice).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { createVitest } from "vitest/node"
import { projects } from "./projects.js"

const root = path.join(import.meta.dirname, "..")

const testFiles = (dir: string): Array<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    return entry.isDirectory() ? testFiles(full) : entry.name.endsWith(".test.ts") ? [full] : []
  })

describe("vitest projects", () => {
  it("put every test file in exactly one project", async () => {
    const vitest = await createVitest("test", { root, watch: false, reporters: [] })
    try {
      const specifications = await vitest.globTestSpecifications()
      const byFile = new Map<string, Array<string>>()
      for (const spec of specifications) byFile.set(spec.moduleId, [...(byFile.get(spec.moduleId) ?? []), spec.project.name])
      const placement = Object.fromEntries(
        [...testFiles(path.join(root, "test")), ...testFiles(path.join(root, "packages/core/test"))].map((file) => [path.relative(root, file), byFile.get(file) ?? []])
      )
      const misplaced = Object.entries(placement).filter(([, names]) => names.length !== 1)
      expect(misplaced).toEqual([])
      expect(new Set(Object.values(placement).flat())).toEqual(new Set(projects.map((p) => p.name)))
      expect(placement["test/projects.test.ts"]).toEqual(["unit"])
    } finally {
      await vitest.close()
    }
  })
})
