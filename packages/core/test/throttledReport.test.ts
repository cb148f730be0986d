/**
 * The throttled report of user-code defects: the first at once, then at most
 * one per period, with the count of those left out; an emitter that throws
 * is ignored.
 */
import { describe, expect, it } from "vitest"
import { throttledReporter } from "../src/throttledReport.js"

describe("throttledReporter", () => {
  it("emits the first defect at once, then one per period, counting the ones left out", () => {
    let now = 0
    const emitted: Array<[string, unknown]> = []
    const report = throttledReporter(() => now, (text, defect) => emitted.push([text, defect]), "Limit threw", 1_000)
    report("a")
    now = 500
    report("b")
    report("c")
    now = 1_000
    report("d")
    now = 1_999
    report("e")
    now = 2_000
    report("f")
    expect(emitted).toEqual([
      ["Limit threw", "a"],
      ["Limit threw (and 2 more times since the last report)", "d"],
      ["Limit threw (and 1 more times since the last report)", "f"]
    ])
  })

  it("never throws, whatever the emitter does", () => {
    let now = 0
    const report = throttledReporter(() => now, () => {
      throw new Error("logger gone")
    }, "Limit threw", 10)
    expect(() => report("a")).not.toThrow()
    now = 10
    expect(() => report("b")).not.toThrow()
  })
})
