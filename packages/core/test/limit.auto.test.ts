/**
 * `Limit.auto` as a pure state machine: option checks, the measurement of
 * the no-load latency (pinned at `min`), windows judged against it, and a
 * property test: any samples give an integer limit in [min, max], the same
 * samples the same states (replayable), and no state is mutated.
 */
import { describe, expect, it } from "vitest"
import * as fc from "fast-check"
import { InvalidOptionError } from "../src/options/invalid.js"
import * as Limit from "./utils/Limit.js"

/** A closed loop at the limit, `n` calls a step apart, each taking `rtt(limit)` millis. */
const drive = <S>(limit: Limit.Limit<S>, state: S, calls: number, rtt: (limit: number) => number, from = 0) => {
  let t = from
  for (let i = 0; i < calls; i++) {
    const n = limit.limitOf(state)
    const ms = rtt(n)
    t += ms / n
    state = limit.update(state, { endMillis: t, rttMillis: ms, inflight: n, inflightAtRelease: n, outcome: "success" })
  }
  return { state, t }
}

/** mulberry32: a small, seeded PRNG. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** A standard normal deviate (Box–Muller). */
const normal = (random: () => number) => Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random())

describe("Limit.auto", () => {
  it("checks its options, naming the field and the value", () => {
    const error = (f: () => unknown) => {
      try {
        f()
      } catch (e) {
        return e
      }
      return undefined
    }
    for (const [options, field] of [
      [{ min: 0 }, "Limit.auto.min"],
      [{ max: 1.5 }, "Limit.auto.max"],
      [{ min: 10, max: 5 }, "Limit.auto.max"],
      [{ initial: 2_000 }, "Limit.auto.initial"],
      [{ tolerance: 1 }, "Limit.auto.tolerance"],
      [{ tolerance: Number.NaN }, "Limit.auto.tolerance"],
      [{ remeasureMillis: 0 }, "Limit.auto.remeasureMillis"]
    ] as const) {
      const e = error(() => Limit.auto(options))
      expect(e).toBeInstanceOf(InvalidOptionError)
      expect((e as InvalidOptionError).invalid.field).toBe(field)
    }
    expect((error(() => Limit.auto({ tolerance: 0.5 })) as InvalidOptionError).invalid.value).toBe(0.5)
  })

  it("defaults: min 1, max 1000, starts at 10", () => {
    const limit = Limit.auto()
    expect([limit.min, limit.max, limit.limitOf(limit.initial), limit.name]).toEqual([1, 1_000, 10, "auto"])
    expect(Limit.auto({ max: 5 }).limitOf(Limit.auto({ max: 5 }).initial)).toBe(5)
  })

  it("pins the limit at min until calls that ran alone measured the no-load latency, then resumes", () => {
    const limit = Limit.auto({ initial: 50 })
    let state = limit.update(limit.initial, { endMillis: 0, rttMillis: 20, inflight: 50, outcome: "success" })
    expect(limit.limitOf(state)).toBe(1)
    // Calls granted before the pin teach nothing; then 32 alone, and the wait for stragglers.
    state = limit.update(state, { endMillis: 1, rttMillis: 20, inflight: 50, inflightAtRelease: 49, outcome: "success" })
    expect(state.measuredCount).toBe(0)
    state = drive(limit, state, 40, () => 20, 1).state
    expect(state.mode).toBe("running")
    expect(state.floor).toBe(20)
    expect(limit.limitOf(state)).toBe(50)
  })

  it("after an overload, resumes no higher than the concurrency that ran without queuing", () => {
    const limit = Limit.auto({ initial: 1_000 })
    // 1000 calls in flight took 2 s; alone, 20 ms: 1000 × 20 / 2000 = 10.
    let state = limit.update(limit.initial, { endMillis: 2_000, rttMillis: 2_000, inflight: 1_000, outcome: "success" })
    state = drive(limit, state, 40, () => 20, 2_000).state
    expect(limit.limitOf(state)).toBe(10)
  })

  it("grows while the latency holds, comes back down when it rises past the tolerance", () => {
    const limit = Limit.auto({ initial: 4 })
    // A knee of 8: latency × n / 8 past it.
    const rtt = (n: number) => 20 * Math.max(1, n / 8)
    const { state } = drive(limit, limit.initial, 3_000, rtt)
    expect(limit.limitOf(state)).toBeGreaterThanOrEqual(7)
    expect(limit.limitOf(state)).toBeLessThanOrEqual(9)
  })

  it("follows throughput past the no-load latency: a service slower from its second call that serves more", () => {
    const limit = Limit.auto({ initial: 1 })
    // A database that overlaps its calls: throughput 1 − e^(−n/2) (95 % of
    // its plateau at 6 in flight), 20 ms alone, every call in flight slower.
    const throughput = (n: number) => 1 - Math.exp(-n / 2)
    const rtt = (n: number) => (20 * n * throughput(1)) / throughput(n)
    const { state } = drive(limit, limit.initial, 6_000, rtt)
    // Latency alone would keep it at 1 (0.39 of the plateau). Without noise
    // every gain is sure, and it climbs while a step buys at least the
    // `worth` elasticity (0.04): up to 9 or 10, not on into the plateau.
    expect(limit.limitOf(state)).toBeGreaterThanOrEqual(4)
    expect(limit.limitOf(state)).toBeLessThanOrEqual(10)
    expect(throughput(limit.limitOf(state))).toBeGreaterThanOrEqual(0.86)
  })

  it("judges a window's first calls with its limit in full use, not at the load they met while it filled", () => {
    const limit = Limit.auto({ initial: 1, max: 4 })
    // A database on one core: 1.07 × the throughput a doubling (elasticity
    // 0.1), every call in flight slower.
    const rtt = (n: number) => 20 * n ** 0.9
    // As the semaphore grants them: after the limit rises, the first call
    // granted under it meets the calls of the old limit only. (A call ends
    // every rtt ÷ n: the first n to end after the change were granted
    // before it.)
    let state = limit.initial
    let t = 0
    let previous = limit.limitOf(state)
    let since = 0
    let from = previous
    for (let i = 0; i < 6_000; i++) {
      const n = limit.limitOf(state)
      if (n !== previous) [from, since, previous] = [previous, 0, n]
      since++
      const inflight = since === n + 1 && n > from ? from : n
      t += rtt(n) / n
      state = limit.update(state, { endMillis: t, rttMillis: rtt(n), inflight, inflightAtRelease: inflight, outcome: "success" })
    }
    // Judged at the load met, the first 8 calls of a step gain little or
    // nothing on the step below (at 3: 23 / 24 × 1.5^0.1, −0.3 %) and look
    // clearly slow: it would stop at 2.
    expect(limit.limitOf(state)).toBe(4)
  })

  it("judges a limit found worth it once more before it comes down a step", () => {
    const limit = Limit.auto({ initial: 1, remeasureMillis: Infinity })
    const throughput = (n: number) => 1 - Math.exp(-n / 2)
    const { state: settled, t } = drive(limit, limit.initial, 6_000, (n) => (20 * n * throughput(1)) / throughput(n))
    const at = limit.limitOf(settled)
    expect(settled.lastGood).toBeGreaterThanOrEqual(at)
    // Now every limit serves as few calls a second as 2 did: nothing above is worth its latency.
    const flat = (n: number) => (20 * n * throughput(1)) / throughput(2)
    let state = settled
    let now = t
    const doubted: Array<number> = []
    while (limit.limitOf(state) === at && now < t + 60_000) {
      const n = limit.limitOf(state)
      now += flat(n) / n
      state = limit.update(state, { endMillis: now, rttMillis: flat(n), inflight: n, inflightAtRelease: n, outcome: "success" })
      if (state.doubted !== 0 && doubted.at(-1) !== state.doubted) doubted.push(state.doubted)
    }
    expect(doubted).toEqual([at])
    // A step down: to the limit it was compared with, about a quarter lower.
    expect(limit.limitOf(state)).toBeLessThan(at)
    expect(limit.limitOf(state)).toBeGreaterThanOrEqual(Math.floor(at / 1.6))
  })

  it("judged by throughput, keeps a limit through a slow spell of a few dozen calls", () => {
    const limit = Limit.auto({ initial: 1, remeasureMillis: Infinity })
    const throughput = (n: number) => 1 - Math.exp(-n / 2)
    const rtt = (n: number) => (20 * n * throughput(1)) / throughput(n)
    let { state, t } = drive(limit, limit.initial, 6_000, rtt)
    // Until a window opens at the limit it settled at.
    for (;;) {
      const opened = state.windowStart
      ;({ state, t } = drive(limit, state, 1, rtt, t))
      if (state.windowStart !== opened && limit.limitOf(state) === state.lastGood) break
    }
    const at = limit.limitOf(state)
    expect(at).toBeGreaterThanOrEqual(4)
    // The service three times as slow for 36 calls (four rounds of the
    // limit): a stall, or the server's own event loop busy. Judged on the
    // first 8 calls of a window, two windows in a row were clearly slow and
    // it came down a step (to 6 from 9); on a full window's calls, it doubts
    // the limit once and keeps it.
    ;({ state, t } = drive(limit, state, 36, (n) => 3 * rtt(n), t))
    let lowest = limit.limitOf(state)
    for (let i = 0; i < 2_000; i++) {
      ;({ state, t } = drive(limit, state, 1, rtt, t))
      lowest = Math.min(lowest, limit.limitOf(state))
    }
    expect(lowest).toBe(at)
  })

  it("keeps a step whose gain one probe cannot show beyond its noise, on the evidence of the next", () => {
    const limit = Limit.auto({ initial: 1, remeasureMillis: Infinity })
    // Each step up to 4 buys a fifth or more; 5 buys 5.5 % on 4, and more
    // buys nothing. Calls alternate 20 % slow and 20 % fast, so that a
    // window of 100 knows its mean within 2 %: one probe of 5 shows its
    // gain only within two standard errors of the noise (and is thrown out),
    // two together beyond them.
    const throughput = (n: number) => n <= 4 ? 1 + 0.3 * (n - 1) : 1.9 * 1.055
    let state = limit.initial
    let t = 0
    let kept = 0
    for (let i = 0; i < 40_000; i++) {
      const n = limit.limitOf(state)
      const ms = (20 * n / throughput(n)) * (i % 2 === 0 ? 1.2 : 0.8)
      t += ms / n
      state = limit.update(state, { endMillis: t, rttMillis: ms, inflight: n, inflightAtRelease: n, outcome: "success" })
      kept = Math.max(kept, state.lastGood)
    }
    // Each probe judged alone, 5 was thrown out every time, for as long.
    expect(kept).toBe(5)
  })

  it("keeps a limit found worth it while its gain is above the bar, though one window cannot show it beyond the noise", () => {
    const limit = Limit.auto({ initial: 1, remeasureMillis: Infinity })
    // A database whose steps up to 4 buy 7–12 % each and 5 loses 3 %, its
    // calls ±30 % (lognormal): a window's gain is within two standard
    // errors of its noise. Judged as a probe each time, 4 was thrown out
    // on the next window as often as not, and more than half the calls
    // after it was first kept ran at 3 or below.
    const throughput = (n: number) => n > 4 ? 1.33 * 0.97 : [1, 1.12, 1.24, 1.33][n - 1]!
    const random = prng(1)
    let state = limit.initial
    let t = 0
    let kept = false
    let after = 0
    let below = 0
    for (let i = 0; i < 60_000; i++) {
      const n = limit.limitOf(state)
      const ms = (20 * n / throughput(n)) * Math.exp(0.3 * normal(random) - 0.045)
      t += ms / n
      state = limit.update(state, { endMillis: t, rttMillis: ms, inflight: n, inflightAtRelease: n, outcome: "success" })
      kept ||= state.lastGood >= 4
      if (kept) after++
      if (kept && n < 4) below++
    }
    expect(after).toBeGreaterThan(30_000)
    expect(below / after).toBeLessThan(0.05)
  })

  it("ignores refusals and calls without a latency", () => {
    const limit = Limit.auto()
    const state = limit.initial
    expect(limit.update(state, { endMillis: 5, rttMillis: 0, inflight: 3, outcome: "dropped" })).toBe(state)
    expect(limit.update(state, { endMillis: 5, rttMillis: 0, inflight: 3, outcome: "success" })).toBe(state)
  })

  it("measures the no-load latency again after remeasureMillis", () => {
    const limit = Limit.auto({ initial: 4, remeasureMillis: 1_000 })
    const { state, t } = drive(limit, limit.initial, 400, () => 20)
    expect(t).toBeGreaterThan(1_000)
    expect(state.measuredAtMillis).toBeGreaterThan(0)
    const later = limit.update(state, { endMillis: state.measuredAtMillis + 1_000, rttMillis: 20, inflight: 4, outcome: "success" })
    expect(later.mode).toBe("measuring")
  })

  const sample = fc.record({
    dt: fc.double({ min: 0, max: 50, noNaN: true }),
    rttMillis: fc.oneof(fc.constant(0), fc.double({ min: 0.01, max: 5_000, noNaN: true })),
    inflight: fc.integer({ min: 1, max: 1_200 }),
    inflightAtRelease: fc.integer({ min: 1, max: 1_200 }),
    outcome: fc.constantFrom("success" as const, "failure" as const, "dropped" as const)
  })
  const options = fc.record({
    min: fc.integer({ min: 1, max: 5 }),
    max: fc.integer({ min: 5, max: 1_000 }),
    tolerance: fc.double({ min: 1.01, max: 3, noNaN: true })
  })

  it("stays an integer in [min, max], replays to the same states, and mutates nothing", () => fc.assert(fc.property(options, fc.array(sample, { maxLength: 400 }), (o, raw) => {
    const limit = Limit.auto(o)
    let t = 0
    const samples: Array<Limit.Sample> = raw.map(({ dt, ...s }) => ({ ...s, endMillis: (t += dt) }))
    const states: Array<Limit.AutoState> = []
    let state = limit.initial
    for (const s of samples) {
      const frozen = JSON.stringify(state)
      const next = limit.update(state, s)
      expect(JSON.stringify(state)).toBe(frozen)
      const n = limit.limitOf(next)
      expect(Number.isSafeInteger(n) && n >= limit.min && n <= limit.max).toBe(true)
      states.push(next)
      state = next
    }
    let again = limit.initial
    samples.forEach((s, i) => {
      again = limit.update(again, s)
      expect(again).toEqual(states[i])
    })
  })))
})
