/**
 * Model-based property test of the semaphore: random sequences of take /
 * withPermits / withPermitsIfAvailable / tryTake / release / interrupt
 * (queued, holding, or racing its own admission) / resize / releaseAll /
 * timeout run against the real semaphore and against a plain model of it
 * (test/model/semaphore.ts, which `npm run stress:model` drives for a
 * million operations). After every step the two must agree on capacity,
 * permits in use, queue length, the order of grants and the permits held
 * by running effects; every grant must happen with in-use ≤ capacity; at
 * quiescence nothing is leaked or released twice, and every fiber ended as
 * the model says.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, TestClock } from "effect"
import * as fc from "effect/FastCheck"
import * as Semaphore from "../src/Semaphore.js"
import { assertModel } from "./model/check.js"
import { command, runScenario, scenario } from "./model/semaphore.js"

const settle = Effect.repeatN(Effect.yieldNow(), 40)

describe("Semaphore against a model", () => {
  it("agrees with the model at every step", () =>
    assertModel(scenario(), ([initial, commands]) => runScenario(initial, commands), 300), 60_000)

  it("never leaks without releaseAll", () =>
    assertModel(
      fc.tuple(
        fc.integer({ min: 1, max: 3 }),
        fc.array(command.filter((c) => c.kind !== "releaseAll"), { minLength: 1, maxLength: 60 })
      ),
      ([initial, commands]) => runScenario(initial, commands),
      200
    ), 60_000)

  it.effect("model sanity: exit of a timed waiter is a timeout", () =>
    Effect.gen(function*() {
      const sem = yield* Semaphore.make(0)
      const fiber = yield* Effect.fork(Effect.scoped(
        Effect.acquireRelease(Effect.interruptible(sem.take(1)), () => sem.release(1)).pipe(
          Effect.timeoutFail({ duration: 10, onTimeout: () => "timeout" })
        )
      ))
      yield* settle
      yield* TestClock.adjust(10)
      assert.deepStrictEqual(yield* Fiber.await(fiber), Exit.fail("timeout"))
    }))
})
