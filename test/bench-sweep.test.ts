/**
 * `--db-sweep` (bench/overload/sweep.ts): parsing, and the table that compares the
 * adaptive runs with the best fixed capacity of the same passes.
 */
import { describe, expect, it } from "@effect/vitest"
import type { RunReport } from "../bench/overload/report.js"
import { parseSweep, sweepSection } from "../bench/overload/sweep.js"

const run = (mode: "with" | "adaptive", peak: number, ok: number, p99: number, sweep?: number): RunReport =>
  ({
    id: `${mode}-${peak}`,
    mode,
    peak,
    pass: 1,
    sweep,
    figures: { messagesOk: ok, fileSpikeMedianRatio: 0.9 },
    messages: { okP99Ms: p99 }
  }) as unknown as RunReport

describe("--db-sweep", () => {
  it("parses a list of distinct positive integers", () => {
    expect(parseSweep(undefined)).toEqual([])
    expect(parseSweep("3, 8,12")).toEqual([3, 8, 12])
    expect(() => parseSweep("3,0")).toThrow(/--db-sweep/)
    expect(() => parseSweep("3,x")).toThrow(/--db-sweep/)
    expect(() => parseSweep("3,3")).toThrow(/repeated/)
  })

  it("is empty without sweep runs", () => {
    expect(sweepSection([run("with", 150, 100, 50), run("adaptive", 150, 90, 60)], 5)).toBe("")
  })

  it("finds the best fixed capacity per peak and compares adaptive with it", () => {
    const text = sweepSection([
      run("with", 150, 1_000, 80),
      run("with", 150, 1_200, 100, 8),
      run("with", 150, 900, 60, 3),
      run("adaptive", 150, 1_164, 110)
    ], 5)
    expect(text).toContain("| fixed 5 | 1 | 1000 | 80 |")
    expect(text).toContain("Best fixed: fixed 8. Adaptive / best: 2xx 0.97 × (target ≥ 0.95), p99 1.10 × (target ≤ 1.2).")
  })
})
