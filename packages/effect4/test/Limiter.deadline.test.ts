/**
 * The guard's deadline on Effect 4 lives inside the semaphore's wait, on
 * the limiter's one timer: a shorter deadline registered after a longer one
 * still ends on time, waiters with staggered deadlines each end at their
 * own, and closing the limiter's layer ends the waiters at once instead of
 * leaving them to a timer that no longer runs.
 */
import { Limiter, Resource } from "@effect-concurrency-limiter/effect4"
import { assert, describe, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/testing/TestClock"
import { poll, settle } from "./utils/effects.js"
import { assertBusy, usage } from "./utils/limiter.js"

const Db = Resource.make("Db", { capacity: 1 })
const LimiterLive = Limiter.layer({ timeout: "1 second", resources: [Db] })

describe("the guard's deadline", () => {
  it.effect("a guard whose own timeout is shorter than the one the timer sleeps towards still ends on time", () =>
    Effect.gen(function*() {
      const holder = yield* Effect.forkChild(Effect.never.pipe(Limiter.withResources([Db])))
      yield* settle
      const long = yield* Effect.forkChild(Effect.exit(Effect.void.pipe(Limiter.withResources([Db]))))
      yield* settle
      const short = yield* Effect.forkChild(
        Effect.exit(Effect.void.pipe(Limiter.withResources([Db], { timeout: "100 millis" })))
      )
      yield* settle
      yield* TestClock.adjust("100 millis")
      assertBusy(yield* Fiber.join(short), "Db", Duration.millis(100))
      assert.strictEqual(yield* Clock.currentTimeMillis, 100)
      assert.isUndefined(yield* poll(long), "the long wait goes on")
      yield* TestClock.adjust("900 millis")
      assertBusy(yield* Fiber.join(long), "Db", Duration.seconds(1))
      yield* Fiber.interrupt(holder)
      assert.deepStrictEqual(yield* usage, { Db: [0, 0] })
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("waiters with staggered deadlines each end at their own", () =>
    Effect.gen(function*() {
      const holder = yield* Effect.forkChild(Effect.never.pipe(Limiter.withResources([Db])))
      yield* settle
      const endedAt: Array<number> = []
      const waiters = yield* Effect.forEach([300, 100, 200, 100], (timeout, i) =>
        Effect.forkChild(
          Effect.void.pipe(
            Limiter.withResources([Db], { timeout }),
            Effect.exit,
            Effect.andThen(Clock.currentTimeMillis),
            Effect.map((at) => endedAt.push(i * 1000 + at))
          )
        ))
      yield* settle
      yield* TestClock.adjust("300 millis")
      yield* Effect.forEach(waiters, Fiber.join)
      assert.deepStrictEqual(endedAt, [1100, 3100, 2200, 300])
      yield* Fiber.interrupt(holder)
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("closing the limiter's layer ends its waiters at once", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(LimiterLive, scope)
      const holder = yield* Effect.forkChild(Effect.never.pipe(Limiter.withResources([Db]), Effect.provideContext(context)))
      yield* settle
      const waiter = yield* Effect.forkChild(Effect.void.pipe(Limiter.withResources([Db]), Effect.provideContext(context)))
      yield* settle
      yield* Scope.close(scope, Exit.void)
      yield* settle
      const exit = yield* Fiber.await(waiter)
      assert.isTrue(Exit.isFailure(exit), "refused, not left waiting")
      assert.strictEqual(yield* Clock.currentTimeMillis, 0, "at once, without the clock moving")
      yield* Fiber.interrupt(holder)
    }))
})
