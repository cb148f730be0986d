/**
 * The wiring of an adaptive `Limit` into a resource on Effect 4: samples
 * reach the algorithm (the core's), the capacity follows its limit live,
 * nothing running is interrupted when it falls, a broken algorithm is
 * reported and leaves the limit where it was, and each call's span records
 * the limit it ran under. The algorithms themselves are tested in the core.
 */
import { Limit, Limiter, LimiterConfigError, Resource } from "@effect-concurrency-limiter/effect4"
import { assert, describe, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/testing/TestClock"
import { settle } from "./utils/effects.js"

const capacityOf = (name: string) =>
  Effect.flatMap(Limiter.Limiter, (l) => Effect.map(l.stats, (all) => all.find((s) => s.resource === name)!.capacity))

describe("a resource with an adaptive Limit", () => {
  it.effect("grows while its permits are in use and calls succeed, and shrinks on failures", () => {
    const Db = Resource.make("AdaptiveDb", { capacity: Limit.aimd({ initial: 2, min: 1, max: 10, backoffRatio: 0.5 }) })
    const guard = Limiter.withResources([Db])
    return Effect.gen(function*() {
      assert.strictEqual(yield* capacityOf("AdaptiveDb"), 2)
      // Two calls at once fill the limit: each success adds one.
      const both = yield* Effect.forkChild(
        Effect.all([Effect.sleep("10 millis"), Effect.sleep("10 millis")].map(guard), { concurrency: "unbounded" })
      )
      yield* settle
      yield* TestClock.adjust("10 millis")
      yield* Fiber.join(both)
      const grown = yield* capacityOf("AdaptiveDb")
      assert.isAbove(grown, 2)
      // A failure halves it.
      yield* Effect.exit(guard(Effect.fail("boom")))
      assert.strictEqual(yield* capacityOf("AdaptiveDb"), Math.max(1, Math.floor(grown * 0.5)))
    }).pipe(Effect.provide(Limiter.layer({ timeout: "1 second", resources: [Db] })))
  })

  it.effect("a refusal is fed as a drop; a shrinking limit interrupts nobody", () => {
    // Halves on every refusal, to see the wiring (the algorithms themselves ignore refusals).
    const halving: Limit.Limit<number> = {
      [Limit.TypeId]: Limit.TypeId,
      name: "halving",
      min: 1,
      max: 10,
      initial: 4,
      update: (n, sample) => (sample.outcome === "dropped" ? Math.max(1, Math.floor(n / 2)) : n),
      limitOf: (n) => n
    }
    const Db = Resource.make("AdaptiveDb2", { capacity: halving })
    const guard = Limiter.withResources([Db])
    return Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const holders = yield* Effect.forEach([1, 2, 3, 4], () => Effect.forkChild(guard(Deferred.await(gate))))
      yield* settle
      // The fifth waits out its 100 ms and is refused: the limit halves to 2,
      // with 4 still running.
      const refused = yield* Effect.forkChild(Effect.exit(guard(Effect.void)))
      yield* settle
      yield* TestClock.adjust("100 millis")
      const exit = yield* Fiber.join(refused)
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual(yield* capacityOf("AdaptiveDb2"), 2)
      const stats = (yield* (yield* Limiter.Limiter).stats)[0]
      assert.strictEqual(stats.inUse, 4, "the holders still run")
      yield* Deferred.succeed(gate, undefined)
      yield* Effect.forEach(holders, Fiber.join)
      assert.strictEqual((yield* (yield* Limiter.Limiter).stats)[0].inUse, 0)
    }).pipe(Effect.provide(Limiter.layer({ timeout: "100 millis", resources: [Db] })))
  })

  it.effect("a Limit that throws or answers a bad limit leaves the limit where it was, permits returned", () => {
    let calls = 0
    const broken: Limit.Limit<number> = {
      [Limit.TypeId]: Limit.TypeId,
      name: "broken",
      min: 1,
      max: 10,
      initial: 3,
      update: (n) => {
        calls++
        if (calls === 1) throw new Error("bug in the algorithm")
        return n
      },
      limitOf: (n) => (calls >= 2 ? 0.5 : n)
    }
    const Db = Resource.make("BrokenDb", { capacity: broken })
    return Effect.gen(function*() {
      yield* Limiter.withResources([Db])(Effect.void)
      yield* Limiter.withResources([Db])(Effect.void)
      assert.strictEqual(calls, 2)
      assert.strictEqual(yield* capacityOf("BrokenDb"), 3)
      assert.strictEqual((yield* (yield* Limiter.Limiter).stats)[0].inUse, 0)
    }).pipe(Effect.provide(Limiter.layer({ timeout: "1 second", resources: [Db] })))
  })

  it.effect("its capacity cannot be set by hand", () => {
    const Db = Resource.make("AdaptiveDb3", { capacity: Limit.aimd({ initial: 4, min: 1, max: 10 }) })
    return Effect.gen(function*() {
      const error = yield* Effect.flip(Limiter.setCapacity(Db, 8))
      assert.instanceOf(error, LimiterConfigError.LimiterConfigError)
      assert.strictEqual(error.field, "resources[0].capacity (resource \"AdaptiveDb3\")")
      assert.strictEqual(error.value, "\"Limit.aimd\"")
      assert.strictEqual(yield* capacityOf("AdaptiveDb3"), 4)
    }).pipe(Effect.provide(Limiter.layer({ timeout: "1 second", resources: [Db] })))
  })

  it.effect("every algorithm of the core builds a resource that serves", () =>
    Effect.gen(function*() {
      const limits = [
        Limit.fixed(3),
        Limit.aimd({ initial: 3 }),
        Limit.vegas({ initial: 3 }),
        Limit.gradient2({ initial: 3 }),
        Limit.windowed(Limit.gradient2({ initial: 3 })),
        Limit.auto({ max: 50 })
      ]
      for (const limit of limits) {
        const Db = Resource.make(`Algo-${limit.name}`, { capacity: limit })
        const served = yield* Effect.succeed(limit.name).pipe(
          Limiter.withResources([Db]),
          Effect.provide(Limiter.layer({ timeout: "1 second", resources: [Db] }))
        )
        assert.strictEqual(served, limit.name)
      }
    }))

  it("a bad option of an algorithm is a LimiterConfigError, thrown when it is made", () => {
    assert.throws(() => Limit.aimd({ initial: 0 }), LimiterConfigError.LimiterConfigError)
    try {
      Limit.vegas({ initial: 5, min: 10 })
      assert.fail("no error")
    } catch (error) {
      assert.instanceOf(error, LimiterConfigError.LimiterConfigError)
      assert.strictEqual((error as LimiterConfigError.LimiterConfigError).field, "Limit.vegas.initial")
    }
  })

  it.effect("records each adaptive resource's limit at the grant on the current span, and nothing for fixed ones", () => {
    const Db = Resource.make("SpanDb", { capacity: Limit.aimd({ initial: 3, min: 1, max: 10 }) })
    const Fs = Resource.make("SpanFs", { capacity: 2 })
    const attributes = Effect.map(Effect.currentSpan, (span) => new Map(span.attributes))
    return Effect.gen(function*() {
      const both = yield* Limiter.withResources([Db, Fs])(attributes).pipe(Effect.withSpan("request"))
      assert.strictEqual(both.get("limiter.SpanDb.limit"), 3)
      assert.isFalse(both.has("limiter.SpanFs.limit"))
      // That call (1 of 3 in use) did not move the limit; a failure backs it off, and the next span says so.
      yield* Limiter.withResources([Db])(Effect.fail("boom")).pipe(Effect.ignore)
      const after = yield* Limiter.withResources([Db])(attributes).pipe(Effect.withSpan("request"))
      assert.strictEqual(after.get("limiter.SpanDb.limit"), 2) // ⌊3 × 0.9⌋
      const fixed = yield* Limiter.withResources([Fs])(attributes).pipe(Effect.withSpan("request"))
      assert.isFalse([...fixed.keys()].some((key) => key.startsWith("limiter.")))
    }).pipe(Effect.provide(Limiter.layer({ timeout: "1 second", resources: [Db, Fs] })))
  })
})
