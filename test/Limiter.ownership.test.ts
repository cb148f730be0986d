/**
 * What a limiter owns and nobody else may change by accident: its internals
 * (found on the service, even by another copy of the package), its
 * resources (known by name, as a `Context.Tag` by its key, so a second
 * definition with other options is refused), the semaphores it hands out
 * through `yield* Db` (every capacity change checked, every permit returned
 * to the partition that took it), its background fibers (stopped with its
 * layer), and its cache of refusals (bounded).
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Deferred, Duration, Effect, Exit, Fiber, Layer, Scope, TestClock } from "effect"
import { vi } from "vitest"
import { BusyError, Limit, Limiter, LimiterConfigError, Resource } from "effect-concurrency-limiter"
import { BusyErrors } from "../src/internal/busyErrors.js"

const settle = Effect.repeatN(Effect.yieldNow(), 20)

const stats = Effect.flatMap(Limiter.Limiter, (limiter) => limiter.stats)

const defectOf = (exit: Exit.Exit<unknown, unknown>): unknown =>
  Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined

describe("what a limiter owns", () => {
  it.effect("a guard from another copy of the package works with a limiter built by this one", () =>
    Effect.gen(function*() {
      vi.resetModules()
      const copy: typeof import("effect-concurrency-limiter") = yield* Effect.promise(() =>
        import("../src/index.js")
      )
      assert.notStrictEqual(copy.Limiter.withResources, Limiter.withResources, "a second copy was loaded")
      const Db = Resource.make("CopiedDb", { capacity: 1 })
      const served = yield* Effect.succeed("served").pipe(copy.Limiter.withResources([Db]))
      assert.strictEqual(served, "served")
    }).pipe(Effect.provide(Limiter.layer({ timeout: "1 second", resources: [Resource.make("CopiedDb", { capacity: 1 })] }))))

  describe("a resource is known by its name", () => {
    it.effect("the same definition made twice is the same resource", () => {
      const Db = Resource.make("NamedDb", { capacity: 2, order: "lifo", partitions: { a: 0.5, b: 0.5 } })
      const Again = Resource.make("NamedDb", { capacity: 2, order: "lifo", partitions: { a: 0.5, b: 0.5 } })
      return Effect.gen(function*() {
        assert.strictEqual(yield* Effect.succeed(1).pipe(Limiter.withResources([Again], { partition: "a" })), 1)
        yield* Limiter.setCapacity(Again, 3)
        assert.strictEqual((yield* stats)[0].capacity, 3)
      }).pipe(Effect.provide(Limiter.layer({ timeout: "1 second", resources: [Db] })))
    })

    it.effect("another definition with the same name and other options is refused, naming it", () => {
      const Db = Resource.make("TwiceDb", { capacity: 5 })
      const Other = Resource.make("TwiceDb", { capacity: 10 })
      return Effect.gen(function*() {
        const exit = yield* Effect.exit(Effect.void.pipe(Limiter.withResources([Other])))
        const defect = defectOf(exit)
        assert.instanceOf(defect, TypeError)
        assert.include((defect as TypeError).message, "two different resources are named \"TwiceDb\"")
        const error = yield* Effect.flip(Limiter.setCapacity(Other, 3))
        assert.instanceOf(error, LimiterConfigError.LimiterConfigError)
        assert.strictEqual(error.field, "resource")
        assert.strictEqual((yield* stats)[0].capacity, 5, "nothing changed")
      }).pipe(Effect.provide(Limiter.layer({ timeout: "1 second", resources: [Db] })))
    })
  })

  describe("the semaphore that `yield* Db` hands out", () => {
    it.effect("resize checks the capacity as setCapacity does, and changes nothing when it refuses", () => {
      const Db = Resource.make("ResizedDb", { capacity: 2 })
      const Adaptive = Resource.make("ResizedAdaptive", { capacity: Limit.aimd({ initial: 3 }) })
      return Effect.gen(function*() {
        const db = yield* Db
        const zero = defectOf(yield* Effect.exit(db.resize(0)))
        assert.instanceOf(zero, LimiterConfigError.LimiterConfigError)
        assert.include((zero as LimiterConfigError.LimiterConfigError).message, "got 0")
        const adaptive = defectOf(yield* Effect.exit((yield* Adaptive).resize(8)))
        assert.instanceOf(adaptive, LimiterConfigError.LimiterConfigError)
        assert.include((adaptive as LimiterConfigError.LimiterConfigError).message, "follows its Limit")
        assert.deepStrictEqual((yield* stats).map((s) => s.capacity), [2, 3])
        yield* db.resize(4)
        assert.deepStrictEqual((yield* stats).map((s) => s.capacity), [4, 3])
      }).pipe(Effect.provide(Limiter.layer({ timeout: "1 second", resources: [Db, Adaptive] })))
    })

    it.effect("a raw release cannot return a permit a guard holds, in any partition", () => {
      const Db = Resource.make("PartitionedDb", { capacity: 2, partitions: { a: 0.5, b: 0.5 } })
      return Effect.gen(function*() {
        const db = yield* Db
        const gate = yield* Deferred.make<void>()
        const holder = yield* Effect.fork(Deferred.await(gate).pipe(Limiter.withResources([Db], { partition: "b" })))
        yield* settle
        const exit = yield* Effect.exit(db.release(1))
        assert.instanceOf(defectOf(exit), RangeError)
        const [before] = yield* stats
        assert.strictEqual(before.inUse, 1)
        assert.deepStrictEqual(before.partitions!.map((p) => [p.partition, p.inUse]), [["a", 0], ["b", 1]])
        // Raw takes and releases still balance, in the semaphore's own queue.
        yield* db.take(1)
        yield* db.release(1)
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.join(holder)
        const [after] = yield* stats
        assert.strictEqual(after.inUse, 0)
        assert.deepStrictEqual(after.partitions!.map((p) => [p.partition, p.inUse]), [["a", 0], ["b", 0]])
      }).pipe(Effect.provide(Limiter.layer({ timeout: "1 second", resources: [Db] })))
    })
  })

  it.effect("closing the layer fails a waiter still queued at once, and stops the deadline timer", () =>
    Effect.gen(function*() {
      const Db = Resource.make("ClosingDb", { capacity: 1 })
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(Limiter.layer({ timeout: "10 seconds", resources: [Db] }), scope)
      const guard = <A, E>(self: Effect.Effect<A, E>) => self.pipe(Limiter.withResources([Db]), Effect.provide(context))
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(guard(Deferred.await(gate)))
      yield* settle
      const waiter = yield* Effect.fork(guard(Effect.void))
      yield* settle
      yield* Scope.close(scope, Exit.void)
      yield* settle
      const exit = yield* Fiber.poll(waiter)
      assert.isTrue(exit._tag === "Some", "the waiter ended when the layer closed, long before its 10 s")
      if (exit._tag === "Some") {
        const error = defectOf(exit.value)
        assert.instanceOf(error, BusyError.BusyError)
        assert.strictEqual((error as BusyError.BusyError).reason, "timeout")
      }
      // A guard that has to wait after the close fails at once as well.
      const late = yield* Effect.fork(guard(Effect.void))
      yield* settle
      assert.isTrue((yield* Fiber.poll(late))._tag === "Some")
      yield* TestClock.adjust("1 minute")
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
    }))

  it("keeps a bounded number of refusals for reuse, however many timeouts guards use", () => {
    const errors = new BusyErrors()
    const first = errors.get("Db", "timeout", Duration.millis(1))
    for (let millis = 2; millis <= 10_000; millis++) errors.get("Db", "timeout", Duration.millis(millis))
    assert.isAtMost(errors.size, 256)
    // A refusal still in the cache is reused; an evicted one is made again, equal.
    const recent = errors.get("Db", "timeout", Duration.millis(10_000))
    assert.strictEqual(errors.get("Db", "timeout", Duration.millis(10_000)), recent)
    assert.deepStrictEqual(errors.get("Db", "timeout", Duration.millis(1)).waited, first.waited)
  })
})
