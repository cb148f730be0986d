/**
 * The wiring of an adaptive `Limit` into a resource: samples reach the
 * algorithm, the capacity follows its limit live, nothing running is
 * interrupted when it falls, and the limit is a gauge. The algorithms
 * themselves are tested in Limit.test.ts.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Deferred, Effect, Fiber, Metric, TestClock, Tracer } from "effect"
import { Limit, Limiter, LimiterConfigError, Metrics, Resource } from "effect-concurrency-limiter"

const settle = Effect.repeatN(Effect.yieldNow(), 20)

const capacityOf = (name: string) =>
  Effect.flatMap(Limiter.Limiter, (l) => Effect.map(l.stats, (all) => all.find((s) => s.resource === name)!.capacity))

describe("a resource with an adaptive Limit", () => {
  it.effect("grows while its permits are in use and calls succeed, and shrinks on failures", () => {
    const Db = Resource.make("AdaptiveDb", { capacity: Limit.aimd({ initial: 2, min: 1, max: 10, backoffRatio: 0.5 }) })
    const guard = Limiter.withResources([Db])
    return Effect.gen(function*() {
      assert.strictEqual(yield* capacityOf("AdaptiveDb"), 2)
      // Two calls at once fill the limit: each success adds one.
      yield* Effect.all([Effect.sleep("10 millis"), Effect.sleep("10 millis")].map(guard), { concurrency: "unbounded" }).pipe(
        Effect.fork,
        Effect.tap(() => TestClock.adjust("10 millis")),
        Effect.flatMap(Fiber.join)
      )
      const grown = yield* capacityOf("AdaptiveDb")
      assert.isAbove(grown, 2)
      const gauge = yield* Metric.value(Metrics.series(Metrics.limit, { resource: "AdaptiveDb", algorithm: "aimd" }))
      assert.strictEqual(gauge.value, grown)
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
      const holders = yield* Effect.forEach([1, 2, 3, 4], () => Effect.fork(guard(Deferred.await(gate))))
      yield* settle
      // The fifth waits out its 100 ms and is refused: the limit halves to 2,
      // with 4 still running.
      const refused = yield* Effect.fork(Effect.exit(guard(Effect.void)))
      yield* settle
      yield* TestClock.adjust("100 millis")
      const exit = yield* Fiber.join(refused)
      assert.isTrue(exit._tag === "Failure")
      assert.strictEqual(yield* capacityOf("AdaptiveDb2"), 2)
      const stats = (yield* (yield* Limiter.Limiter).stats)[0]
      assert.strictEqual(stats.inUse, 4, "the holders still run")
      yield* Deferred.succeed(gate, undefined)
      yield* Effect.forEach(holders, Fiber.join)
      assert.strictEqual((yield* (yield* Limiter.Limiter).stats)[0].inUse, 0)
    }).pipe(Effect.provide(Limiter.layer({ timeout: "100 millis", resources: [Db] })))
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
      assert.strictEqual((yield* Limiter.withResources([Fs])(attributes).pipe(Effect.withSpan("request"))).size, 0)
    }).pipe(Effect.provide(Limiter.layer({ timeout: "1 second", resources: [Db, Fs] })))
  })

  it.effect("annotates the span Effect.annotateCurrentSpan would, past one that disables propagation, and runs outside any span", () => {
    const Db = Resource.make("SpanDb", { capacity: Limit.aimd({ initial: 3, min: 1, max: 10 }) })
    const hidden = Context.make(Tracer.DisablePropagation, true)
    return Effect.gen(function*() {
      const [ours, effects] = yield* Effect.gen(function*() {
        const outer = yield* Effect.currentSpan
        // The guard's call, and Effect's own annotation, each under an inner span that disables propagation.
        yield* Limiter.withResources([Db])(Effect.void).pipe(Effect.withSpan("ours", { context: hidden }))
        const ours = new Map(outer.attributes)
        yield* Effect.annotateCurrentSpan("effect", 1).pipe(Effect.withSpan("effect's", { context: hidden }))
        return [ours, new Map(outer.attributes)] as const
      }).pipe(Effect.withSpan("request"))
      assert.strictEqual(ours.get("limiter.SpanDb.limit"), 3)
      assert.strictEqual(effects.get("effect"), 1)
      // No span at all: nothing to annotate, and nothing fails.
      assert.strictEqual(yield* Limiter.withResources([Db])(Effect.succeed("ran")), "ran")
    }).pipe(Effect.provide(Limiter.layer({ timeout: "1 second", resources: [Db] })))
  })
})
