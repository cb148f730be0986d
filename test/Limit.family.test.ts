/**
 * A few cases of `npm run sim:adaptive`'s family (test/utils/
 * limitSimulation.ts) for the recommended default, `Limit.auto` untuned:
 * a knee of 6 with latency × (n / 6)² past it, of 60 linear, of 200
 * exponential, each started at min and at max, the knee doubling and coming
 * back. The targets: settled within ±30 % of the knee ≥ 90 % of the time
 * after settling, throughput ≥ 0.9 × the knee's, latency ≤ 1.5 × the
 * no-load latency, re-settled within 10 s of each move. A discrete-event
 * simulation of the pure state machine: about a second of real time.
 * Then the pipelining curve at knees 3 to 200, where the targets are
 * throughput's: latency rises from the second call by design; and an M/M/c
 * queue at knees 20 and 60 over four seeds, whose windows are long.
 *
 * What breaks it: a floor measured under load (from max it never comes
 * down), windows that mix calls granted under another limit (it saws past
 * the knee), a growth that does not wait near the last overload (a knee of
 * 6 is overshot half the time), or no probing up (the doubled knee is
 * never found).
 */
import { describe, expect, it } from "@effect/vitest"
import { Limit } from "effect-concurrency-limiter"
import type { Curve } from "./utils/limitSimulation.js"
import { analyze, simulate } from "./utils/limitSimulation.js"

const cases: ReadonlyArray<readonly [number, Curve]> = [[6, "quadratic"], [60, "linear"], [200, "exponential"]]

describe("Limit.auto, untuned, in the simulation family", () => {
  for (const [knee, curve] of cases) {
    for (const initial of [1, 1_000]) {
      it(`knee ${knee}, ${curve}, from ${initial}: meets the targets`, () => {
        const result = simulate({
          limit: Limit.auto({ initial, max: 1_000 }),
          curve,
          phases: [{ knee, seconds: 30 }, { knee: 2 * knee, seconds: 15 }, { knee, seconds: 15 }],
          seed: knee + initial
        })
        const phases = analyze(result)
        const trace = JSON.stringify(phases)
        for (const [i, phase] of phases.entries()) {
          expect(phase.settleSeconds, trace).toBeLessThanOrEqual(i === 0 ? 10 : 10)
          expect(phase.withinShare, trace).toBeGreaterThanOrEqual(0.9)
          expect(phase.throughputRatio, trace).toBeGreaterThanOrEqual(0.9)
          expect(phase.latencyRatio, trace).toBeLessThanOrEqual(1.5)
        }
      })
    }
  }

  // A service that overlaps its calls (a database on few cores): slower from
  // the second call in flight, serving more up to its knee. Judged by
  // latency alone, `auto` stayed at 1: 0.2–0.4 × the throughput. At knees
  // of 20 and up it settles a little below the knee, where a step's gain is
  // within the noise. It got 0.13–0.34 × there while a window past the
  // tolerance by less than the noise was no reference for the next limit.
  for (const knee of [3, 6, 20, 60, 200]) {
    const least = knee <= 6 ? 0.9 : 0.85
    for (const initial of [1, 1_000]) {
      it(`pipelining, knee ${knee}, from ${initial}: ≥ ${least} × the best fixed limit's throughput at the knee and at twice it, latency ≤ 1.6 × the knee's`, () => {
        const result = simulate({
          limit: Limit.auto({ initial, max: 1_000 }),
          curve: "pipelining",
          phases: [{ knee, seconds: 30 }, { knee: 2 * knee, seconds: 15 }, { knee, seconds: 15 }],
          seed: knee + initial
        })
        const phases = analyze(result)
        const trace = JSON.stringify(phases)
        // At twice the knee, the windows of the first phase are references
        // measured on a slower service: a limit that gains more than in
        // proportion on them must still be one for the next limit up, or
        // that one is judged by latency alone and comes straight back.
        for (const phase of phases) expect(phase.throughputRatio, trace).toBeGreaterThanOrEqual(least)
        // Where throughput still grows a little, latency is what it costs:
        // after the knee halves, it comes down a step at a time.
        for (const phase of phases) expect(phase.latencyRatio, trace).toBeLessThanOrEqual(1.6)
      })
    }
  }

  // An M/M/c queue: exponential service times, so a window needs hundreds
  // of calls to tell one step past the knee (latency × 21/20 at a knee of
  // 20) from the noise, and so does each probe above it. With a hold of 16
  // short windows after such a probe, up to a third of the time went above
  // the knee: down to 60 % within in a phase at a knee of 20, and to 70 %
  // at 60, over these seeds.
  for (const knee of [20, 60]) {
    for (const initial of [1, 1_000]) {
      it(`M/M/c, knee ${knee}, from ${initial}, four seeds: ≥ 80 % within ±30 % of the knee in every phase, 95 % on average; re-settled within 10 s`, () => {
        const shares: Array<number> = []
        for (let seed = 1; seed <= 4; seed++) {
          const result = simulate({
            limit: Limit.auto({ initial, max: 1_000 }),
            curve: "mmc",
            phases: [{ knee, seconds: 30 }, { knee: 2 * knee, seconds: 15 }, { knee, seconds: 15 }],
            seed: knee + initial + seed * 1_000
          })
          const phases = analyze(result)
          const trace = `seed ${seed}: ${JSON.stringify(phases)}`
          for (const [i, phase] of phases.entries()) {
            if (i > 0) expect(phase.settleSeconds, trace).toBeLessThanOrEqual(10)
            expect(phase.withinShare, trace).toBeGreaterThanOrEqual(0.8)
            expect(phase.throughputRatio, trace).toBeGreaterThanOrEqual(0.9)
            expect(phase.latencyRatio, trace).toBeLessThanOrEqual(1.5)
            shares.push(phase.withinShare)
          }
        }
        expect(shares.reduce((a, b) => a + b, 0) / shares.length, JSON.stringify(shares)).toBeGreaterThanOrEqual(0.95)
      })
    }
  }

  it("fixed at the knee is the reference: throughput 1 × and latency 1 ×", () => {
    const [phase] = analyze(simulate({ limit: Limit.fixed(20), curve: "mmc", phases: [{ knee: 20, seconds: 20 }] }))
    expect(phase.settleSeconds).toBe(0)
    expect(phase.throughputRatio).toBeGreaterThan(0.95)
    expect(phase.latencyRatio).toBeLessThan(1.05)
  })
})
