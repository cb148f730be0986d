/**
 * User code inside the limiter's bookkeeping: a custom `Limit` (or a
 * `Tuning` function, which runs inside one of the library's algorithms) is
 * called while a permit is being returned or a deadline is expiring. Whatever
 * it does, the permit is returned first, the deadline timer keeps running,
 * the limit stays where it was, and the defect reaches the app's logger.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Exit, Fiber, Layer, Logger, LogLevel, TestClock } from "effect"
import { BusyError, Limit, Limiter, LimiterConfigError, Resource } from "effect-concurrency-limiter"

const settle = Effect.repeatN(Effect.yieldNow(), 20)

/** A fixed limit of `initial` whose `update` runs `onSample` (which may throw) and whose `limitOf` is `limitOf`. */
const customLimit = (options: {
  readonly initial: number
  readonly onSample?: (sample: Limit.Sample) => void
  readonly limitOf?: (state: number) => number
}): Limit.Limit<number> => ({
  [Limit.TypeId]: Limit.TypeId,
  name: "custom",
  min: 1,
  max: 100,
  initial: options.initial,
  update: (state, sample) => {
    options.onSample?.(sample)
    return state + 1
  },
  limitOf: options.limitOf ?? ((state) => state)
})

/** Collects the app's error logs, with their causes, to check that a defect was reported. */
const captureErrors = Effect.gen(function*() {
  const logged: Array<{ readonly message: string; readonly cause: Cause.Cause<unknown> }> = []
  const logger = Logger.make(({ cause, logLevel, message }) => {
    if (LogLevel.greaterThanEqual(logLevel, LogLevel.Error)) logged.push({ message: String(message), cause })
  })
  return { logged, layer: Logger.replace(Logger.defaultLogger, logger) }
})

const stats = Effect.flatMap(Limiter.Limiter, (limiter) => limiter.stats)

describe("user code cannot break the limiter's accounting", () => {
  it.effect("a Limit whose update throws on a release: the permit is returned, the limit stays, the defect is logged", () =>
    Effect.gen(function*() {
      const { layer, logged } = yield* captureErrors
      const Db = Resource.make("ThrowingDb", {
        capacity: customLimit({
          initial: 1,
          onSample: () => {
            throw new Error("update broke")
          }
        })
      })
      yield* Effect.gen(function*() {
        const exit = yield* Effect.exit(Effect.succeed("served").pipe(Limiter.withResources([Db])))
        assert.deepStrictEqual(exit, Exit.succeed("served"), "the guarded call ends as its effect did")
        const [db] = yield* stats
        assert.strictEqual(db.inUse, 0, "the permit was returned")
        assert.strictEqual(db.capacity, 1, "the limit stays where it was")
        // And the resource still grants.
        assert.strictEqual(yield* Effect.succeed(2).pipe(Limiter.withResources([Db], { timeout: 0 })), 2)
        yield* settle
      }).pipe(Effect.provide(Limiter.layer({ timeout: "1 second", resources: [Db] })), Effect.provide(layer))
      assert.isAtLeast(logged.length, 1)
      assert.include(logged[0].message, "ThrowingDb")
      assert.include(Cause.pretty(logged[0].cause), "update broke")
    }))

  it.effect("a Limit that throws while a deadline expires: that waiter and every later one still time out on time", () =>
    Effect.gen(function*() {
      const { layer, logged } = yield* captureErrors
      const Db = Resource.make("ThrowingOnDropDb", {
        capacity: customLimit({
          initial: 1,
          onSample: (sample) => {
            if (sample.outcome === "dropped") throw new Error("drop broke")
          }
        })
      })
      yield* Effect.gen(function*() {
        const gate = yield* Deferred.make<void>()
        const holder = yield* Effect.fork(Deferred.await(gate).pipe(Limiter.withResources([Db])))
        yield* settle
        const first = yield* Effect.fork(Effect.void.pipe(Limiter.withResources([Db], { timeout: "100 millis" })))
        const second = yield* Effect.fork(Effect.void.pipe(Limiter.withResources([Db], { timeout: "300 millis" })))
        yield* settle
        yield* TestClock.adjust("100 millis")
        yield* settle
        const firstExit = yield* Fiber.poll(first)
        assert.isTrue(firstExit._tag === "Some" && Exit.isFailure(firstExit.value), "the first waiter got its 503")
        // The timer survived the throw: the second waiter's deadline still passes.
        yield* TestClock.adjust("200 millis")
        yield* settle
        const secondExit = yield* Fiber.poll(second)
        assert.isTrue(secondExit._tag === "Some" && Exit.isFailure(secondExit.value), "the second waiter got its 503")
        if (secondExit._tag === "Some" && Exit.isFailure(secondExit.value)) {
          assert.instanceOf(Cause.squash(secondExit.value.cause), BusyError.BusyError)
        }
        const [db] = yield* stats
        assert.deepStrictEqual([db.capacity, db.inUse, db.waiting], [1, 1, 0])
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.join(holder)
        assert.strictEqual((yield* stats)[0].inUse, 0)
      }).pipe(Effect.provide(Limiter.layer({ timeout: "1 second", resources: [Db] })), Effect.provide(layer))
      assert.isAtLeast(logged.length, 1)
      assert.include(Cause.pretty(logged[0].cause), "drop broke")
    }))

  it.effect("a Limit that answers no positive integer is ignored: the capacity stays valid", () =>
    Effect.gen(function*() {
      const { layer, logged } = yield* captureErrors
      const Db = Resource.make("NaNDb", {
        capacity: customLimit({ initial: 2, limitOf: (state) => (state > 2 ? Number.NaN : state) })
      })
      yield* Effect.gen(function*() {
        yield* Effect.void.pipe(Limiter.withResources([Db]))
        yield* Effect.void.pipe(Limiter.withResources([Db]))
        const [db] = yield* stats
        assert.deepStrictEqual([db.capacity, db.inUse], [2, 0])
      }).pipe(Effect.provide(Limiter.layer({ timeout: "1 second", resources: [Db] })), Effect.provide(layer))
      assert.isAtLeast(logged.length, 1)
      assert.include(Cause.pretty(logged[0].cause), "limitOf answered NaN")
    }))

  it.effect("the defect of a Limit broken on every call is logged once per interval, not once per request", () =>
    Effect.gen(function*() {
      const { layer, logged } = yield* captureErrors
      const Db = Resource.make("NoisyDb", {
        capacity: customLimit({
          initial: 4,
          onSample: () => {
            throw new Error("always")
          }
        })
      })
      yield* Effect.gen(function*() {
        yield* Effect.repeatN(Effect.void.pipe(Limiter.withResources([Db])), 99)
        yield* settle
      }).pipe(Effect.provide(Limiter.layer({ timeout: "1 second", resources: [Db] })), Effect.provide(layer))
      assert.strictEqual(logged.length, 1)
    }))

  it.effect("a Limit whose limitOf(initial) throws fails the layer, naming the resource", () =>
    Effect.gen(function*() {
      const Db = Resource.make("BrokenInitialDb", {
        capacity: customLimit({
          initial: 1,
          limitOf: () => {
            throw new Error("no initial")
          }
        })
      })
      const error = yield* Effect.flip(Layer.build(Limiter.layer({ timeout: "1 second", resources: [Db] })))
      assert.instanceOf(error, LimiterConfigError.LimiterConfigError)
      assert.strictEqual(error.field, "resources[0].capacity (resource \"BrokenInitialDb\")")
      assert.include(error.message, "no initial")
    }).pipe(Effect.scoped))
})
