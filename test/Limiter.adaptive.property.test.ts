/**
 * An adaptive resource under random workloads: whatever the algorithm does
 * with the samples, a permit is only granted below the capacity of that
 * moment, the capacity is always the algorithm's limit within [min, max],
 * and at quiescence nothing is in use, waiting or leaked. On the TestClock.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Duration, Effect, Exit, Fiber, Metric, Option, TestClock } from "effect"
import * as fc from "effect/FastCheck"
import { BusyError, Limit, Limiter, Metrics, Resource } from "effect-concurrency-limiter"

const algorithms = {
  aimd: () => Limit.aimd({ initial: 4, min: 1, max: 12, backoffRatio: 0.5, timeoutMillis: 40 }),
  vegas: () => Limit.vegas({ initial: 4, min: 1, max: 12 }),
  gradient2: () => Limit.gradient2({ initial: 4, min: 1, max: 12, longWindow: 20 }),
  windowed: () => Limit.windowed(Limit.gradient2({ initial: 4, min: 1, max: 12 }), { minWindowMillis: 20, windowSize: 3 })
} as const

const call = fc.record({
  start: fc.integer({ min: 0, max: 200 }),
  hold: fc.integer({ min: 0, max: 60 }),
  ending: fc.constantFrom("succeed", "fail", "die"),
  interruptAt: fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined })
})

let runs = 0

describe("an adaptive resource under random workloads", () => {
  it.effect.prop(
    "grants only below the capacity of the moment, keeps the limit in bounds, leaks nothing",
    [fc.constantFrom(...Object.keys(algorithms) as Array<keyof typeof algorithms>), fc.array(call, { maxLength: 40 })],
    ([algorithm, calls]) => {
      // A fresh name per run: the metric registry is global.
      const limit = algorithms[algorithm]()
      const name = `AdaptiveProp${runs++}`
      const Db = Resource.make(name, { capacity: limit })
      const limitGauge = Metrics.limit.pipe(Metric.tagged("resource", name), Metric.tagged("algorithm", limit.name))
      const guard = Limiter.withResources([Db])
      return Effect.gen(function*() {
        const limiter = yield* Limiter.Limiter
        const violations: Array<string> = []
        const stats = Effect.map(limiter.stats, (all) => all[0])
        const checkBounds = Effect.flatMap(stats, (s) =>
          Effect.map(Metric.value(limitGauge), (gauge) => {
            if (!(Number.isInteger(s.capacity) && s.capacity >= 1 && s.capacity <= 12)) {
              violations.push(`capacity ${s.capacity} out of [1, 12]`)
            }
            // The capacity is the algorithm's limit, which the gauge publishes.
            if (s.capacity !== gauge.value) violations.push(`capacity ${s.capacity}, limit ${gauge.value}`)
          }))
        const body = (c: typeof calls[number], i: number) =>
          Effect.gen(function*() {
            const s = yield* stats
            // This grant was made when the others in use left room for it.
            if (s.inUse - 1 >= s.capacity) violations.push(`#${i} granted with ${s.inUse - 1} of ${s.capacity} in use`)
            yield* checkBounds
            yield* Effect.sleep(Duration.millis(c.hold))
            if (c.ending === "fail") return yield* Effect.fail("failed")
            if (c.ending === "die") return yield* Effect.die("died")
          })
        const fibers = yield* Effect.forEach(calls, (c, i) =>
          Effect.gen(function*() {
            const fiber = yield* Effect.fork(Effect.sleep(Duration.millis(c.start)).pipe(
              Effect.zipRight(Effect.exit(guard(body(c, i)))),
              Effect.zipLeft(checkBounds)
            ))
            if (c.interruptAt !== undefined) {
              yield* Effect.fork(Effect.sleep(Duration.millis(c.interruptAt)).pipe(Effect.zipRight(Fiber.interrupt(fiber))))
            }
            return fiber
          }))
        yield* TestClock.adjust("2 seconds")
        const exits = yield* Effect.forEach(fibers, Fiber.await)
        exits.forEach((exit, i) => {
          if (Exit.isFailure(exit) || Exit.isSuccess(exit.value)) return
          // A guard ends with its call's own failure or death, a BusyError,
          // or an interruption: a defect of its own (a permit released twice)
          // would be anything else.
          const cause = exit.value.cause
          const expected = Cause.isInterruptedOnly(cause) ||
            Option.exists(Cause.failureOption(cause), (e) => e === "failed" || e instanceof BusyError.BusyError) ||
            Option.exists(Cause.dieOption(cause), (d) => d === "died")
          if (!expected) violations.push(`#${i} ended with ${Cause.pretty(cause)}`)
        })
        assert.deepStrictEqual(violations, [])
        const quiescent = yield* stats
        assert.deepStrictEqual([quiescent.inUse, quiescent.waiting], [0, 0], "nothing in use or waiting at quiescence")
      }).pipe(Effect.provide(Limiter.layer({ timeout: "100 millis", resources: [Db] })))
    },
    { fastCheck: { numRuns: 120 } }
  )
})
