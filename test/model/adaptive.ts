/**
 * An adaptive resource under random workloads: a real `Limit` algorithm is
 * fed the samples of every call and moves the capacity while calls succeed,
 * fail, die, time out and are interrupted at random moments, on the
 * virtual clock. Whatever the algorithm does, a permit is only granted below the
 * capacity of that moment (counted by the calls actually running, as well
 * as by the stats), the capacity is always the algorithm's limit within
 * [min, max], every call ends with its own ending, a BusyError or an
 * interruption, and at quiescence nothing is running, in use, waiting or
 * leaked. Used by test/Limiter.adaptive.property.test.ts and by
 * `npm run stress:model`.
 */
import { Cause, Duration, Effect, Metric, Option } from "effect"
import * as fc from "effect/FastCheck"
import { BusyError, Limit, Limiter, Metrics, Resource } from "effect-concurrency-limiter"
import { type Counter, expectEqual, uncounted } from "./check.js"
import { modelRuntime } from "./runtime.js"
import { runTimedCalls } from "./timedCalls.js"

export const algorithms = {
  aimd: () => Limit.aimd({ initial: 4, min: 1, max: 12, backoffRatio: 0.5, timeoutMillis: 40 }),
  vegas: () => Limit.vegas({ initial: 4, min: 1, max: 12 }),
  gradient2: () => Limit.gradient2({ initial: 4, min: 1, max: 12, longWindow: 20 }),
  windowed: () => Limit.windowed(Limit.gradient2({ initial: 4, min: 1, max: 12 }), { minWindowMillis: 20, windowSize: 3 })
} as const

export type Algorithm = keyof typeof algorithms

export const call = fc.record({
  start: fc.integer({ min: 0, max: 200 }),
  hold: fc.integer({ min: 0, max: 60 }),
  ending: fc.constantFrom("succeed", "fail", "die"),
  /** The guard's own deadline; `undefined`: the layer's 100 ms. */
  timeout: fc.option(fc.integer({ min: 0, max: 80 }), { nil: undefined }),
  interruptAt: fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined })
})

export type Call = typeof call extends fc.Arbitrary<infer T> ? T : never

/** A whole scenario: the algorithm and the calls. */
export const scenario = (maxLength = 40, size: fc.SizeForArbitrary = "small") =>
  fc.tuple(fc.constantFrom(...Object.keys(algorithms) as Array<Algorithm>), fc.array(call, { maxLength, size }))

/**
 * The algorithm, recording every limit it stands for, in order: the
 * capacity changes only to one of these, synchronously, so a grant can be
 * checked against the highest since its call began to wait.
 */
const recording = (limit: Limit.Limit<any>) => {
  const history: Array<number> = []
  const limitOf = (state: unknown) => {
    const n = limit.limitOf(state)
    history.push(n)
    return n
  }
  return { history, limit: { ...limit, limitOf } }
}

/** Names reused round-robin: the metric registry never forgets a series. */
let runs = 0

/**
 * Runs `calls` against a resource whose capacity follows `algorithm`; fails
 * with a `ModelMismatch` (a defect) listing every violation. Runs on a
 * `ManualClock` of its own.
 */
export const runScenario = (algorithm: Algorithm, calls: ReadonlyArray<Call>, counter: Counter = uncounted()) => {
  const { history, limit } = recording(algorithms[algorithm]())
  const name = `AdaptiveModel${runs++ % 16}`
  const Db = Resource.make(name, { capacity: limit })
  const limitGauge = Metrics.limit.pipe(Metric.tagged("limiter", "default"), Metric.tagged("resource", name), Metric.tagged("algorithm", limit.name))
  return modelRuntime((clock) => Effect.gen(function*() {
    const limiter = yield* Limiter.Limiter
    const violations: Array<string> = []
    let running = 0
    const stats = Effect.map(limiter.stats, (all) => all[0])
    const checkBounds = Effect.flatMap(stats, (s) =>
      Effect.map(Metric.value(limitGauge), (gauge) => {
        if (!(Number.isInteger(s.capacity) && s.capacity >= 1 && s.capacity <= 12)) {
          violations.push(`capacity ${s.capacity} out of [1, 12]`)
        }
        // The capacity is the algorithm's limit, which the gauge publishes.
        if (s.capacity !== gauge.value) violations.push(`capacity ${s.capacity}, limit ${gauge.value}`)
      }))
    const body = (c: Call, i: number, waitedFrom: number) =>
      Effect.gen(function*() {
        running++
        const s = yield* stats
        // This grant was made when the others in use left room for it, under
        // some capacity the limit stood at while the call waited: the limit
        // may have fallen since, before this first step ran (a call granted
        // when another's success raised the limit, and a third's failure
        // then lowered it, all at one instant).
        const room = Math.max(...history.slice(waitedFrom))
        if (s.inUse - 1 >= room) violations.push(`#${i} granted with ${s.inUse - 1} in use, capacity at most ${room}`)
        if (running > room) violations.push(`#${i} granted with ${running} calls running, capacity at most ${room}`)
        yield* checkBounds
        yield* Effect.sleep(Duration.millis(c.hold))
        if (c.ending === "fail") return yield* Effect.fail("failed")
        if (c.ending === "die") return yield* Effect.die("died")
      }).pipe(Effect.onExit(() => Effect.sync(() => running--)))
    yield* runTimedCalls({
      calls,
      run: (c, i) =>
        Limiter.withResources([Db], c.timeout === undefined ? undefined : { timeout: c.timeout })(
          body(c, i, history.length - 1)
        ),
      after: checkBounds,
      clock,
      counter,
      violations,
      describe: (_, i) => `#${i}`,
      // A guard ends with its call's own failure or death, a BusyError,
      // or an interruption: a defect of its own (a permit released twice)
      // would be anything else.
      expected: (cause) =>
        Cause.isInterruptedOnly(cause) ||
        Option.exists(Cause.failureOption(cause), (e) => e === "failed" || e instanceof BusyError.BusyError) ||
        Option.exists(Cause.dieOption(cause), (d) => d === "died")
    })
    expectEqual(violations, [], "violations")
    const quiescent = yield* stats
    expectEqual([quiescent.inUse, quiescent.waiting, running], [0, 0, 0], "in use, waiting, running at quiescence")
  }).pipe(Effect.provide(Limiter.layer({ timeout: "100 millis", resources: [Db] }))))
}
