/**
 * What `auto` remembers of throughput (`limit/rates.ts`): points merged by
 * precision, the reference a window is judged against (close, and slow),
 * the least limit near the best rate, the highest slow one to resume at,
 * and the elasticity with its noise.
 */
import { describe, expect, it } from "vitest"
import type { RatePoint } from "../src/limit/rates.js"
import { atOrBelow, elasticity, highestSlow, leastNearBest, record, reference } from "../src/limit/rates.js"

const point = (limit: number, rate: number, error = 0.02, slow = true): RatePoint => ({ limit, rate, error, slow })

describe("rate points", () => {
  it("are kept ascending by limit, one per limit, merged by precision", () => {
    let points = record([], point(4, 1))
    points = record(points, point(2, 0.6))
    points = record(points, point(4, 1.3, 0.02))
    expect(points.map((p) => p.limit)).toEqual([2, 4])
    // The older point at half its weight: (1 × 0.5 + 1.3 × 1) / 1.5 = 1.2.
    expect(points[1].rate).toBeCloseTo(1.2, 10)
    expect(points[1].error).toBeLessThan(0.02)
  })

  it("keep at most 24, dropping the one farthest from the newest", () => {
    let points: ReadonlyArray<RatePoint> = []
    for (let limit = 1; limit <= 25; limit++) points = record(points, point(limit, limit))
    expect(points).toHaveLength(24)
    expect(points[0].limit).toBe(2)
  })

  it("above a lowered limit are dropped", () => {
    const points = [point(2, 1), point(3, 1.2), point(5, 1.3)]
    expect(atOrBelow(points, 3).map((p) => p.limit)).toEqual([2, 3])
    expect(atOrBelow(points, 5)).toBe(points)
  })

  it("give a reference a span below, not too far and not fast", () => {
    const points = [point(1, 0.5), point(4, 1), point(6, 1.1), point(8, 1.2, 0.02, false)]
    // 10 / 1.25 = 8, a fast point: none.
    expect(reference(points, 10, 1.25)).toBeUndefined()
    // 9 / 1.25 = 7.2: 6; 9 / 1.5625 = 5.76, rounded down 5 ≤ 6.
    expect(reference(points, 9, 1.25)?.limit).toBe(6)
    // 2 / 1.25 = 1.6: 1, and 2 / 1.5625 rounded down is 1.
    expect(reference(points, 2, 1.25)?.limit).toBe(1)
    // 3 / 1.25 = 2.4: 1, but 3 / 1.5625 rounded down is 1: still close enough.
    expect(reference(points, 3, 1.25)?.limit).toBe(1)
    // 40 / 1.25 = 32: the highest below is 8 (fast) — and far below 40 / 1.5625.
    expect(reference([point(4, 1)], 40, 1.25)).toBeUndefined()
  })

  it("name the least limit within a share of the best rate", () => {
    const points = [point(1, 0.5), point(2, 0.8), point(3, 0.97), point(4, 1)]
    expect(leastNearBest(points, 0.03)).toBe(3)
    expect(leastNearBest(points, 0.01)).toBe(4)
    expect(leastNearBest([], 0.03)).toBe(0)
  })

  it("name the highest slow limit above the pin and at most a limit", () => {
    const points = [point(1, 0.5), point(2, 0.8), point(3, 0.9, 0.02, false), point(5, 1)]
    expect(highestSlow(points, 4, 1)).toBe(2)
    expect(highestSlow(points, 5, 1)).toBe(5)
    expect(highestSlow(points, 4, 2)).toBe(0)
  })

  it("take the newest window's kind when merged", () => {
    const points = record([point(3, 1, 0.02, false)], point(3, 1, 0.02, true))
    expect(points[0].slow).toBe(true)
  })

  it("measure elasticity, taken low or high by the noise", () => {
    const ref = point(2, 1, 0)
    // Twice the limit, twice the rate: 1; the same rate: 0.
    expect(elasticity(ref, 4, 2, 0, 1, "low")).toBeCloseTo(1, 10)
    expect(elasticity(ref, 4, 1, 0, 1, "low")).toBeCloseTo(0, 10)
    const low = elasticity(ref, 4, 1.5, 0.05, 1, "low")
    const high = elasticity(ref, 4, 1.5, 0.05, 1, "high")
    expect(low).toBeLessThan(Math.log(1.5) / Math.log(2))
    expect(high).toBeGreaterThan(Math.log(1.5) / Math.log(2))
    expect(high - low).toBeCloseTo(2 * 0.05 / Math.log(2), 10)
  })
})
