import { describe, expect, it } from "vitest"
import { durationOf, maxVUsOf, spikeScenario, vusAt } from "../bench/load/stages.js"
import { preset } from "../bench/load/presets.js"

const { scenario, spike } = spikeScenario({
  name: "/messages",
  path: "/messages",
  base: 10,
  peak: 150,
  holdMs: 30_000,
  rampMs: 60_000,
  dropMs: 1_000,
  tailMs: 60_000
})

describe("bench stages", () => {
  it("has the k6 script's shape and length", () => {
    expect(durationOf(scenario)).toBe(151_000)
    expect(maxVUsOf(scenario)).toBe(150)
    expect(spike).toEqual({ startMs: 30_000, endMs: 91_000 })
  })

  it("holds, ramps linearly, drops and holds again", () => {
    expect(vusAt(scenario, 0)).toBe(10)
    expect(vusAt(scenario, 29_999)).toBe(10)
    expect(vusAt(scenario, 30_000)).toBe(10)
    expect(vusAt(scenario, 60_000)).toBe(80) // half-way up the ramp
    expect(vusAt(scenario, 89_999)).toBe(149)
    expect(vusAt(scenario, 90_000)).toBe(150)
    expect(vusAt(scenario, 90_500)).toBe(80)
    expect(vusAt(scenario, 91_000)).toBe(10)
    expect(vusAt(scenario, 150_999)).toBe(10)
    expect(vusAt(scenario, 151_000)).toBe(0)
    expect(vusAt(scenario, -1)).toBe(0)
  })

  it("adds a VU when the ramp reaches it (floor) and removes one only below it (ceil)", () => {
    // Up: 10 + 140 * t/60 s reaches 11 at t = 60/140 s.
    expect(vusAt(scenario, 30_000 + 428)).toBe(10)
    expect(vusAt(scenario, 30_000 + 429)).toBe(11)
    // Down: 150 - 140 * t/1 s falls below 150 at once but still counts 150 until it passes 149.
    expect(vusAt(scenario, 90_001)).toBe(150)
    expect(vusAt(scenario, 90_999)).toBe(11)
  })

  it("never leaves the range of its stages", () => {
    for (let t = 0; t < 151_000; t += 137) {
      const v = vusAt(scenario, t)
      expect(v).toBeGreaterThanOrEqual(10)
      expect(v).toBeLessThanOrEqual(150)
    }
  })

  it("the demo preset has the same shape in a minute", () => {
    const demo = preset("demo", 150)
    expect(demo.durationMs).toBe(60_000)
    expect(demo.spike).toEqual({ startMs: 10_000, endMs: 36_000 })
    expect(demo.scenarios.map((s) => s.name)).toEqual(["/messages", "/file"])
    expect(vusAt(demo.scenarios[1]!, 59_999)).toBe(2)
    const full = preset("full", 600)
    expect(full.durationMs).toBe(151_000)
    expect(maxVUsOf(full.scenarios[0]!)).toBe(600)
  })
})
