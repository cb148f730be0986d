/**
 * The Effect 3 `Limit` module over the shared core's algorithms (tested in
 * packages/core/test): its constructors throw the `LimiterConfigError` they
 * document, naming the option, with the value rendered as this line shows
 * it; and a limit is one limit for both, whichever made it.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as coreFixed from "@effect-concurrency-limiter/core/limit/fixed"
import * as coreModel from "@effect-concurrency-limiter/core/limit/model"
import { Limit, LimiterConfigError } from "effect-concurrency-limiter"

const thrown = (f: () => unknown): unknown => {
  try {
    f()
  } catch (e) {
    return e
  }
  return undefined
}

describe("Limit (Effect 3)", () => {
  const cases: ReadonlyArray<readonly [string, () => unknown, string, string]> = [
    ["fixed 0", () => Limit.fixed(0), "Limit.fixed.limit", "0"],
    ["aimd initial < min", () => Limit.aimd({ initial: 10, min: 20, max: 30 }), "Limit.aimd.initial", "10"],
    ["vegas beta < alpha", () => Limit.vegas({ initial: 10, alpha: 5, beta: 2 }), "Limit.vegas.beta", "2"],
    ["gradient2 smoothing", () => Limit.gradient2({ initial: 20, smoothing: NaN }), "Limit.gradient2.smoothing", "NaN"],
    ["windowed windowSize", () => Limit.windowed(Limit.fixed(1), { windowSize: 0 }), "Limit.windowed.windowSize", "0"],
    ["auto tolerance", () => Limit.auto({ tolerance: 0.5 }), "Limit.auto.tolerance", "0.5"],
    // A value only this line knows how to show: a Duration, by Duration.format.
    ["aimd timeout", () => Limit.aimd({ initial: 10, timeoutMillis: Duration.seconds(2) as any }), "Limit.aimd.timeoutMillis", "2s"],
    ["a string", () => Limit.fixed("10" as any), "Limit.fixed.limit", "\"10\""]
  ]

  for (const [title, build, field, value] of cases) {
    it(`rejects ${title} with a LimiterConfigError`, () => {
      const error = thrown(build)
      expect(error).toBeInstanceOf(LimiterConfigError.LimiterConfigError)
      expect(error).toMatchObject({ field, value })
      expect((error as Error).message).toBe(`Invalid Limiter option ${field}: expected ${(error as LimiterConfigError.LimiterConfigError).expected}, got ${value}`)
    })
  }

  it("lets any other error through as it is", () => {
    const boom = new Error("boom")
    const delegate = Object.defineProperty({}, "update", { get: () => { throw boom } }) as Limit.Limit<unknown>
    expect(thrown(() => Limit.windowed(delegate))).toBe(boom)
  })

  it("shares its brand with the core: a limit made by either is a Limit for both", () => {
    expect(Limit.TypeId).toBe(coreModel.TypeId)
    expect(Limit.isLimit(coreFixed.fixed(3))).toBe(true)
    expect(coreModel.isLimit(Limit.auto())).toBe(true)
    expect(Limit.isLimit({ limit: 3 })).toBe(false)
  })
})
