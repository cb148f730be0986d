/**
 * The Effect 4 line on a Node older than 22.19 (this suite runs on the
 * Effect 3 line's Node 20): importing any of its modules fails at once with
 * a message that says what it needs, before Effect 4 itself loads.
 */
import { spawnSync } from "node:child_process"
import * as path from "node:path"
import { describe, expect, it } from "vitest"

const effect4 = path.join(import.meta.dirname, "../packages/effect4")

const importUnderThisNode = (module: string) =>
  spawnSync(
    process.execPath,
    ["--import", "tsx", "--input-type=module", "-e", `await import(${JSON.stringify(path.join(effect4, module))})`],
    { cwd: effect4, encoding: "utf8", timeout: 60_000 }
  )

describe.runIf(Number(process.versions.node.split(".")[0]) < 22)("the Effect 4 line under Node 20", () => {
  it.each(["src/index.ts", "src/Limiter.ts", "src/Semaphore.ts"])("refuses to load %s, saying it needs Node >= 22.19", (module) => {
    const result = importUnderThisNode(module)
    expect(result.status).not.toBe(0)
    expect(result.stderr).toContain(
      `@effect-concurrency-limiter/effect4 needs Node >= 22.19, as Effect 4 does; this is Node ${process.versions.node}.`
    )
  })
})
