/**
 * The Limit algorithms as pure state machines: hand-computed sample
 * sequences against Netflix's formulas, option checks, and a property test
 * over random options and samples.
 */
import { describe, expect, it } from "vitest"
import * as fc from "fast-check"
import { InvalidOptionError } from "../src/options/invalid.js"
import { renderValue } from "../src/options/render.js"
import * as Limit from "./utils/Limit.js"

type Outcome = Limit.Sample["outcome"]

const sample = (endMillis: number, rttMillis: number, inflight: number, outcome: Outcome = "success"): Limit.Sample => ({
  endMillis,
  rttMillis,
  inflight,
  outcome
})

/** Runs the samples, returning the limit after each. */
const limits = <S>(limit: Limit.Limit<S>, samples: ReadonlyArray<Limit.Sample>, from: S = limit.initial): Array<number> => {
  let state = from
  return samples.map((s) => {
    state = limit.update(state, s)
    return limit.limitOf(state)
  })
}

const run = <S>(limit: Limit.Limit<S>, samples: ReadonlyArray<Limit.Sample>): S => samples.reduce(limit.update, limit.initial)

/** A delegate that records what it is fed. */
const recorder: Limit.Limit<ReadonlyArray<Limit.Sample>> = {
  [Limit.TypeId]: Limit.TypeId,
  name: "recorder",
  min: 1,
  max: 1,
  initial: [],
  update: (state, s) => [...state, s],
  limitOf: () => 1
}

describe("Limit.fixed", () => {
  it("never moves", () => {
    const limit = Limit.fixed(7)
    expect([limit.min, limit.max, limit.name]).toEqual([7, 7, "fixed"])
    expect(limits(limit, [sample(0, 10, 7), sample(1, 0, 7, "dropped"), sample(2, 1e6, 1, "failure")])).toEqual([7, 7, 7])
    expect(Limit.isLimit(limit)).toBe(true)
    expect(Limit.isLimit({ limit: 7 })).toBe(false)
  })
})

describe("Limit.aimd", () => {
  it("grows by one on a call that ran with the limit in full use, up to max", () => {
    const limit = Limit.aimd({ initial: 10, min: 1, max: 12 })
    expect(limits(limit, [
      sample(0, 10, 10), // 10 in use at its grant, limit 10: 11
      sample(1, 10, 10), // granted before the increase (10 < 11): stays 11
      sample(2, 10, 11), // 12
      sample(3, 10, 12) // 13 capped at max 12
    ])).toEqual([11, 11, 12, 12])
  })

  it("backs off once per round trip on a failure or a timeout, down to min; a refusal changes nothing", () => {
    const limit = Limit.aimd({ initial: 12, min: 7, timeoutMillis: 100 })
    expect(limits(limit, [
      sample(0, 10, 12, "failure"), // ⌊12 × 0.9 = 10.8⌋ = 10
      sample(1, 10, 12, "failure"), // granted at 12 > 10, before that decrease: stays 10
      sample(2, 0, 10, "dropped"), // refused by the limiter: says nothing of the service, 10
      sample(3, 150, 10), // 150 > 100 ms: ⌊10 × 0.9⌋ = 9
      sample(4, 100, 9), // 100 is not > 100: a success in full use: 10
      sample(5, 10, 1, "failure"), // ⌊10 × 0.9⌋ = 9
      sample(6, 10, 1, "failure"), // ⌊9 × 0.9 = 8.1⌋ = 8
      sample(7, 10, 1, "failure") // ⌊8 × 0.9 = 7.2⌋ = 7
    ])).toEqual([10, 10, 10, 9, 10, 9, 8, 7])
    expect(limits(limit, [sample(8, 10, 1, "failure")], { limit: 7 })).toEqual([7]) // ⌊6.3⌋ = 6, clamped to min 7
  })

  it("uses the backoff ratio given", () => {
    const limit = Limit.aimd({ initial: 10, min: 1, backoffRatio: 0.5 })
    expect(limits(limit, [sample(0, 10, 0, "failure"), sample(1, 10, 0, "failure")])).toEqual([5, 2]) // 10 × 0.5; ⌊2.5⌋
  })

  it("widens Netflix's default bounds (20, 200) to take in initial", () => {
    expect([Limit.aimd({ initial: 10 }).min, Limit.aimd({ initial: 10 }).max]).toEqual([10, 200])
    expect([Limit.aimd({ initial: 30 }).min, Limit.aimd({ initial: 30 }).max]).toEqual([20, 200])
    expect([Limit.aimd({ initial: 300 }).min, Limit.aimd({ initial: 300 }).max]).toEqual([20, 300])
  })
})

describe("Limit.vegas", () => {
  /** After a probe that measured a no-load rtt of 10 at limit 10. */
  const measured = (estimatedLimit = 10): Limit.VegasState => ({ estimatedLimit, rttNoLoad: 10, probeCount: 0, probing: false })

  it("measures the no-load rtt on a call that ran alone, at min until one has", () => {
    const limit = Limit.vegas({ initial: 10 })
    expect(limits(limit, [
      sample(0, 50, 10), // no rtt_noload yet, and 10 calls in flight: probe, the limit is min (1)
      sample(1, 50, 8), // granted before the probe: ignored
      { ...sample(2, 10, 1), inflightAtRelease: 3 }, // alone at its grant, not at its release: ignored
      { ...sample(3, 10, 1), inflightAtRelease: 1 } // alone: rtt_noload 10, back to 10
    ])).toEqual([1, 1, 1, 10])
    expect(limits(limit, [sample(0, 12, 1)])).toEqual([10]) // a first call that ran alone is the probe
    expect(run(limit, [sample(0, 12, 1)])).toEqual({ estimatedLimit: 10, rttNoLoad: 12, probeCount: 0, probing: false })
  })

  // At limits 10..99, log10 = 1: alpha 3, beta 6, threshold 1, steps of 1.
  it("grows without queuing, holds in the sweet spot, shrinks with queuing", () => {
    const limit = Limit.vegas({ initial: 10 })
    expect(limits(limit, [
      sample(1, 10, 10), // queue ⌈10 × (1 − 10/10)⌉ = 0 ≤ threshold 1: + beta 6 = 16
      sample(2, 12, 16), // queue ⌈16 × (1 − 10/12)⌉ = ⌈2.67⌉ = 3: not < alpha 3, not > beta 6: stays 16
      sample(3, 20, 16), // queue ⌈16 × 0.5⌉ = 8 > 6: sheds the 8 − 6 = 2 queued past beta (at least 1): 14
      sample(4, 20, 16), // queue ⌈14 × 0.5⌉ = 7 > 6, but granted at 16 > 14, before that decrease: stays 14
      sample(5, 11, 15), // queue ⌈14 × (1 − 10/11)⌉ = ⌈1.27⌉ = 2 < 3, and 15 ≥ 14 in use: 14 + 1 = 15
      sample(6, 10, 7), // queue 0, but granted with 7 < 15 in use: stays 15
      sample(7, 40, 7), // queue ⌈15 × 0.75⌉ = 12 > 6: shrinks whatever the load it met, by 12 − 6: 9
      sample(8, 10, 12, "failure"), // a drop, but granted at 12 > 9: stays 9
      sample(9, 10, 1, "failure"), // a failure: 9 − 1 = 8
      sample(10, 0, 1, "dropped"), // refused by the limiter: says nothing of the service, 8
      sample(11, 0, 8), // a success without rtt: nothing to learn, 8
      sample(12, 5, 8, "failure") // a new least rtt (5) resets rtt_noload first and returns, as in Netflix: 8
    ], measured())).toEqual([16, 16, 14, 14, 15, 15, 9, 9, 8, 8, 8, 8])
    expect(limit.update(measured(), sample(1, 5, 10)).rttNoLoad).toBe(5)
  })

  it("clamps to [min, max]", () => {
    expect(limits(Limit.vegas({ initial: 10, max: 12 }), [sample(1, 10, 10)], measured())).toEqual([12]) // 16 → 12
    expect(limits(Limit.vegas({ initial: 3, min: 3 }), [sample(0, 0, 3, "dropped")])).toEqual([3]) // log10(3) → 1: 3 − 1 = 2 → 3
  })

  it("smooths toward the target", () => {
    const limit = Limit.vegas({ initial: 10, smoothing: 0.5 })
    expect(limit.update(measured(), sample(1, 10, 10)).estimatedLimit).toBe(13) // 10 × 0.5 + 16 × 0.5
  })

  it("probes for a new rtt_noload every probeMultiplier × limit samples", () => {
    const limit = Limit.vegas({ initial: 10, probeMultiplier: 0.3 }) // every 0.3 × 10 = 3 samples
    const samples = [
      sample(1, 20, 10), // count 1: queue ⌈10 × 0.5⌉ = 5, in [3, 6]: stays 10
      sample(2, 20, 10), // count 2: stays 10
      sample(3, 20, 10), // count 3 ≥ 3: probe, the limit is min (1)
      sample(4, 20, 9), // granted before the probe: ignored
      sample(5, 12, 1), // ran alone: rtt_noload 12, back to 10
      sample(6, 12, 10) // count 1: queue 0 ≤ 1: 10 + 6 = 16
    ]
    expect(limits(limit, samples, measured())).toEqual([10, 10, 1, 1, 10, 16])
    expect(limits(limit, samples.slice(0, 5), measured()).at(-1)).toBe(10)
    expect(samples.slice(0, 5).reduce(limit.update, measured()))
      .toEqual({ estimatedLimit: 10, rttNoLoad: 12, probeCount: 0, probing: false })
  })

  it("takes constant tunings", () => {
    const limit = Limit.vegas({ initial: 10, alpha: 2, beta: 4, threshold: 0, increase: 3, decrease: 2 })
    expect(limits(limit, [
      sample(1, 10, 10), // queue 0 ≤ 0: + beta 4 = 14
      sample(2, 11, 14), // queue ⌈14 × 1/11⌉ = ⌈1.27⌉ = 2: not < 2, not > 4: 14
      sample(3, 10.5, 14), // queue ⌈14 × 0.5/10.5⌉ = ⌈0.67⌉ = 1 < 2: + 3 = 17
      sample(4, 20, 17) // queue ⌈8.5⌉ = 9 > 4: sheds max(2, 9 − 4) = 5: 12
    ], measured())).toEqual([14, 14, 17, 12])
  })
})

describe("Limit.gradient2", () => {
  /** After a call that ran alone measured a long rtt. */
  const measured = (estimatedLimit: number, longRtt = 10): Limit.Gradient2State => ({
    estimatedLimit,
    longRtt,
    probing: false,
    firstLoad: 0,
    firstRtt: 0
  })

  it("measures the first long rtt on a call that ran alone, at min until one has", () => {
    const limit = Limit.gradient2({ initial: 20, min: 2 })
    expect(limits(limit, [
      sample(0, 500, 20), // no long rtt yet, 20 > min in flight: probe, the limit is min (2)
      sample(1, 400, 15), // granted before the probe: ignored
      { ...sample(2, 10, 1), inflightAtRelease: 9 }, // alone at its grant, not at its release: ignored
      { ...sample(3, 10, 2), inflightAtRelease: 2 } // ran with at most min in flight: long rtt 10
    ])).toEqual([2, 2, 2, 2]) // and it resumes at 20 × 10 / 500 = 0.4 → min 2: the first calls queued 50×
    expect(run(limit, [sample(0, 12, 2)])).toEqual(measured(20, 12)) // a first call that ran alone is the probe
  })

  it("resumes after its probe at the concurrency the first calls sustained without queuing, at most the limit", () => {
    const limit = Limit.gradient2({ initial: 100, min: 1 })
    const probing = limit.update(limit.initial, { ...sample(0, 2_000, 1), inflightAtRelease: 100 }) // 100 calls granted together
    expect(probing).toEqual({ estimatedLimit: 100, longRtt: 0, probing: true, firstLoad: 100, firstRtt: 2_000 })
    // alone: 20 ms. 100 calls took 2 s each, so without queuing 100 × 20 / 2000 = 1 would have run
    expect(limit.update(probing, sample(1, 20, 1))).toEqual({ ...measured(1, 20) })
    // alone: 1 s: 100 × 1000 / 2000 = 50
    expect(limit.update(probing, sample(1, 1_000, 1)).estimatedLimit).toBe(50)
    // alone as slow as the first calls: they did not queue, the limit stays 100
    expect(limit.update(probing, sample(1, 2_500, 1)).estimatedLimit).toBe(100)
  })

  it("grows by queueSize × smoothing while latency holds", () => {
    const limit = Limit.gradient2({ initial: 20 })
    const state = [
      sample(1, 10, 20), // gradient min(1, 1.5 × 10/10): 20 × 0.8 + (20 + 4) × 0.2 = 20.8
      sample(2, 10, 20) // 20.8 × 0.8 + (20.8 + 4) × 0.2 = 21.6
    ].reduce(limit.update, measured(20))
    expect(state.estimatedLimit).toBeCloseTo(21.6, 10)
    expect(limit.limitOf(state)).toBe(21) // rounded down
  })

  it("shrinks when the short rtt exceeds the tolerated long rtt", () => {
    const limit = Limit.gradient2({ initial: 20, min: 1, queueSize: 0, longWindow: 3 })
    // long 10 × 0.5 + 100 × 0.5 = 55 (factor 2 / (3 + 1)); gradient 1.5 × 55/100 = 0.825: 20 × 0.8 + 16.5 × 0.2 = 19.3
    const state = limit.update(measured(20), sample(1, 100, 20))
    expect(state.estimatedLimit).toBeCloseTo(19.3, 10)
    expect(limit.limitOf(state)).toBe(19)
    // it shrinks whatever the load the call met
    expect(limit.update(measured(20), sample(1, 100, 5)).estimatedLimit).toBeCloseTo(19.3, 10)
  })

  it("sheds at most half at once", () => {
    const limit = Limit.gradient2({ initial: 20, min: 1, queueSize: 0, smoothing: 1 })
    // long 1 × (1 − 2/601) + 100 × 2/601 ≈ 1.33; 1.5 × 1.33 / 100 ≈ 0.02 → 0.5: 20 × 0.5 = 10
    expect(limits(limit, [sample(1, 100, 20)], measured(20, 1))).toEqual([10])
  })

  it("averages the long rtt exponentially over longWindow", () => {
    const limit = Limit.gradient2({ initial: 20, longWindow: 5 })
    // factor 2 / (5 + 1) = 1/3: 10 × 2/3 + 70 × 1/3 = 30
    expect(limit.update(measured(20), sample(1, 70, 20)).longRtt).toBeCloseTo(30, 10)
  })

  it("decays the long rtt by 5% when it is over twice the short one", () => {
    const limit = Limit.gradient2({ initial: 20, longWindow: 5 })
    // long 100 × 2/3 + 10 × 1/3 = 70; 70 / 10 > 2: 70 × 0.95 = 66.5
    expect(limit.update(measured(20, 100), sample(1, 10, 20)).longRtt).toBeCloseTo(66.5, 10)
  })

  it("grows only on a call that ran with the limit in full use", () => {
    const limit = Limit.gradient2({ initial: 20 })
    // 19 < 20 in use: would grow to 20.8, stays; the long rtt still learns: (10 × 599 + 16 × 2) / 601
    const idle = limit.update(measured(20), sample(1, 16, 19))
    expect(idle.estimatedLimit).toBe(20)
    expect(idle.longRtt).toBeCloseTo(6022 / 601, 10)
    expect(limit.update(measured(20), sample(1, 10, 20)).estimatedLimit).toBeCloseTo(20.8, 10)
  })

  it("clamps to [min, max]", () => {
    // 30 × 0.8 + 34 × 0.2 = 30.8 → max 30
    expect(limits(Limit.gradient2({ initial: 30, max: 30 }), [sample(1, 10, 30)], measured(30))).toEqual([30])
    // long (10 + 1000) / 2 = 505; gradient 1.5 × 505/1000 = 0.7575: 10 × 0.7575 = 7.575 → min 10
    const floor = Limit.gradient2({ initial: 10, min: 10, queueSize: 0, smoothing: 1, longWindow: 3 })
    expect(limits(floor, [sample(1, 1000, 10)], measured(10))).toEqual([10])
  })

  it("skips samples without an rtt, and counts a failure's rtt like Netflix", () => {
    const limit = Limit.gradient2({ initial: 20 })
    expect(limit.update(measured(20), sample(1, 0, 20, "dropped"))).toEqual(measured(20))
    expect(limit.update(measured(20), sample(1, 10, 20, "failure"))).toEqual(limit.update(measured(20), sample(1, 10, 20)))
  })

  it("takes queueSize as a function of the limit", () => {
    const limit = Limit.gradient2({ initial: 20, queueSize: (l) => l / 2 })
    expect(limit.update(measured(20), sample(1, 10, 20)).estimatedLimit).toBeCloseTo(22, 10) // 20 × 0.8 + (20 + 10) × 0.2
  })
})

describe("Limit.windowed", () => {
  const options = { minWindowMillis: 100, maxWindowMillis: 300, windowSize: 3, minRttThresholdMillis: 1 }

  it("feeds one aggregated sample when the window closes", () => {
    const limit = Limit.windowed(recorder, options)
    expect(limit.name).toBe("windowed(recorder)")
    const open = run(limit, [sample(0, 10, 5), sample(50, 20, 8)])
    expect(open.delegate).toEqual([])
    expect(open.window).toMatchObject({ startMillis: 0, count: 2, rttSum: 30, minRtt: 10, maxInflight: 8 })
    // t = 100: 3 samples, 100 ms ≥ max(2 × 10, 100): average (10 + 20 + 30) / 3 = 20, max inflight 8
    const closed = limit.update(open, sample(100, 30, 6))
    expect(closed).toEqual({ delegate: [{ ...sample(100, 20, 8), inflightAtRelease: 8 }], window: undefined })
  })

  it("lasts at least twice its least rtt", () => {
    const limit = Limit.windowed(recorder, options)
    // least rtt 80: the window lasts min(max(160, 100), 300) = 160
    const state = run(limit, [sample(0, 80, 1), sample(50, 80, 1), sample(100, 80, 1)])
    expect(state.delegate).toEqual([])
    expect(limit.update(state, sample(160, 100, 1)).delegate).toEqual([{ ...sample(160, 85, 1), inflightAtRelease: 1 }]) // (80 × 3 + 100) / 4
  })

  it("discards a window that reaches maxWindow under windowSize samples", () => {
    const limit = Limit.windowed(recorder, options)
    expect(run(limit, [sample(0, 10, 1), sample(300, 10, 1)])).toEqual({ delegate: [], window: undefined })
  })

  it("ignores calls under the rtt threshold, and the limiter's refusals", () => {
    const limit = Limit.windowed(recorder, options)
    expect(limit.update(limit.initial, sample(0, 0.5, 1))).toBe(limit.initial)
    expect(limit.update(limit.initial, sample(0, 0, 9, "dropped"))).toBe(limit.initial)
    // three calls (the refusal left out), one failed: a "failure" with their average rtt and highest inflight
    expect(run(limit, [sample(0, 10, 2), sample(50, 0, 9, "dropped"), sample(60, 20, 4, "failure"), sample(100, 30, 3)]).delegate)
      .toEqual([{ ...sample(100, 20, 4, "failure"), inflightAtRelease: 4 }])
  })

  it("drives its delegate", () => {
    const limit = Limit.windowed(Limit.aimd({ initial: 10, min: 1 }), options)
    expect([limit.min, limit.max]).toEqual([1, 200])
    expect(limits(limit, [
      sample(0, 10, 5),
      sample(50, 20, 10),
      sample(100, 30, 6), // aggregated inflight 10, the limit in full use: 11
      sample(150, 10, 1),
      sample(200, 10, 1, "failure"),
      sample(250, 10, 1) // a failure in the window: ⌊11 × 0.9 = 9.9⌋ = 9
    ])).toEqual([10, 10, 11, 11, 11, 9])
  })
})

describe("Limit options", () => {
  const cases: ReadonlyArray<readonly [string, () => unknown, string, string]> = [
    ["fixed 0", () => Limit.fixed(0), "Limit.fixed.limit", "0"],
    ["fixed 1.5", () => Limit.fixed(1.5), "Limit.fixed.limit", "1.5"],
    ["aimd initial", () => Limit.aimd({ initial: 0 }), "Limit.aimd.initial", "0"],
    ["aimd initial < min", () => Limit.aimd({ initial: 10, min: 20, max: 30 }), "Limit.aimd.initial", "10"],
    ["aimd max < min", () => Limit.aimd({ initial: 10, min: 5, max: 4 }), "Limit.aimd.max", "4"],
    ["aimd min", () => Limit.aimd({ initial: 10, min: 0 }), "Limit.aimd.min", "0"],
    ["aimd backoffRatio 1", () => Limit.aimd({ initial: 10, backoffRatio: 1 }), "Limit.aimd.backoffRatio", "1"],
    ["aimd backoffRatio 0", () => Limit.aimd({ initial: 10, backoffRatio: 0 }), "Limit.aimd.backoffRatio", "0"],
    ["aimd timeout", () => Limit.aimd({ initial: 10, timeoutMillis: 0 }), "Limit.aimd.timeoutMillis", "0"],
    ["vegas smoothing 0", () => Limit.vegas({ initial: 10, smoothing: 0 }), "Limit.vegas.smoothing", "0"],
    ["vegas smoothing 1.5", () => Limit.vegas({ initial: 10, smoothing: 1.5 }), "Limit.vegas.smoothing", "1.5"],
    ["vegas probeMultiplier", () => Limit.vegas({ initial: 10, probeMultiplier: 0 }), "Limit.vegas.probeMultiplier", "0"],
    ["vegas alpha", () => Limit.vegas({ initial: 10, alpha: -1 }), "Limit.vegas.alpha", "-1"],
    ["vegas beta < alpha", () => Limit.vegas({ initial: 10, alpha: 5, beta: 2 }), "Limit.vegas.beta", "2"],
    ["vegas min", () => Limit.vegas({ initial: 10, min: 0 }), "Limit.vegas.min", "0"],
    ["gradient2 rttTolerance", () => Limit.gradient2({ initial: 20, rttTolerance: 0.9 }), "Limit.gradient2.rttTolerance", "0.9"],
    ["gradient2 longWindow", () => Limit.gradient2({ initial: 20, longWindow: 1.5 }), "Limit.gradient2.longWindow", "1.5"],
    ["gradient2 smoothing", () => Limit.gradient2({ initial: 20, smoothing: NaN }), "Limit.gradient2.smoothing", "NaN"],
    ["gradient2 queueSize", () => Limit.gradient2({ initial: 20, queueSize: -1 }), "Limit.gradient2.queueSize", "-1"],
    ["gradient2 max", () => Limit.gradient2({ initial: 20, max: 10 }), "Limit.gradient2.max", "10"],
    ["windowed minWindow", () => Limit.windowed(Limit.fixed(1), { minWindowMillis: 0 }), "Limit.windowed.minWindowMillis", "0"],
    [
      "windowed maxWindow",
      () => Limit.windowed(Limit.fixed(1), { minWindowMillis: 500, maxWindowMillis: 100 }),
      "Limit.windowed.maxWindowMillis",
      "100"
    ],
    ["windowed windowSize", () => Limit.windowed(Limit.fixed(1), { windowSize: 0 }), "Limit.windowed.windowSize", "0"],
    [
      "windowed threshold",
      () => Limit.windowed(Limit.fixed(1), { minRttThresholdMillis: -1 }),
      "Limit.windowed.minRttThresholdMillis",
      "-1"
    ]
  ]

  for (const [title, build, field, value] of cases) {
    it(`rejects ${title}`, () => {
      let error: unknown
      try {
        build()
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(InvalidOptionError)
      const { invalid } = error as InvalidOptionError
      expect([invalid.field, renderValue(invalid.value)]).toEqual([field, value])
    })
  }

  it("accepts the defaults", () => {
    expect(() => [Limit.aimd({ initial: 1 }), Limit.vegas({ initial: 1 }), Limit.gradient2({ initial: 1 }), Limit.windowed(Limit.fixed(1))])
      .not.toThrow()
  })
})

const bounds = fc.record({ min: fc.integer({ min: 1, max: 30 }), span: fc.integer({ min: 0, max: 60 }), at: fc.double({ min: 0, max: 1, noNaN: true }) })
  .map(({ at, min, span }) => ({ min, max: min + span, initial: min + Math.floor(at * span) }))
const ratio = (min: number, max: number) => fc.double({ min, max, noNaN: true })

const plain: fc.Arbitrary<Limit.Limit<any>> = fc.oneof(
  fc.integer({ min: 1, max: 50 }).map(Limit.fixed),
  fc.record({ b: bounds, backoffRatio: ratio(0.01, 0.99), timeoutMillis: fc.integer({ min: 1, max: 300 }) })
    .map(({ b, ...o }) => Limit.aimd({ ...b, ...o })),
  fc.record({ b: bounds, smoothing: ratio(0.01, 1), probeMultiplier: ratio(0.05, 40) })
    .map(({ b, ...o }) => Limit.vegas({ ...b, ...o })),
  fc.record({
    b: bounds,
    smoothing: ratio(0.01, 1),
    rttTolerance: ratio(1, 3),
    longWindow: fc.integer({ min: 1, max: 50 }),
    queueSize: fc.integer({ min: 0, max: 10 })
  }).map(({ b, ...o }) => Limit.gradient2({ ...b, ...o }))
)

const anyLimit: fc.Arbitrary<Limit.Limit<any>> = fc.oneof(
  plain,
  fc.record({
    delegate: plain,
    minWindowMillis: fc.integer({ min: 1, max: 100 }),
    extra: fc.integer({ min: 0, max: 200 }),
    windowSize: fc.integer({ min: 1, max: 5 }),
    minRttThresholdMillis: ratio(0, 2)
  }).map(({ delegate, extra, ...o }) => Limit.windowed(delegate, { ...o, maxWindowMillis: o.minWindowMillis + extra }))
)

const samples = fc.array(
  fc.record({
    dt: fc.integer({ min: 0, max: 100 }),
    rtt: fc.oneof(fc.constant(0), ratio(0, 500)),
    inflight: fc.integer({ min: 0, max: 300 }),
    outcome: fc.constantFrom<Outcome>("success", "success", "failure", "dropped")
  }),
  { maxLength: 80 }
)

const deepFreeze = <A>(value: A): A => {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}

describe("every Limit", () => {
  it("stays an integer in [min, max], never mutating its state", () => fc.assert(fc.property(anyLimit, samples, (limit, raw) => {
    let state = deepFreeze(structuredClone(limit.initial))
    let now = 0
    const check = (s: unknown) => {
      const n = limit.limitOf(s)
      expect(Number.isInteger(n) && n >= limit.min && n <= limit.max, `${limit.name}: ${n} in [${limit.min}, ${limit.max}]`).toBe(true)
    }
    check(state)
    for (const { dt, inflight, outcome, rtt } of raw) {
      now += dt
      const before = structuredClone(state)
      // Frozen deeply: a write would throw (modules are strict).
      const next = limit.update(state, sample(now, outcome === "dropped" ? 0 : rtt, inflight, outcome))
      expect(state).toStrictEqual(before)
      check(next)
      state = deepFreeze(next)
    }
  }), { numRuns: 300 }))
})
