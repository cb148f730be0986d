/**
 * The semaphore's capacity on Effect 4: `resize` up and down, and
 * `releaseAll`, which never lets the available count exceed the capacity.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Semaphore from "../src/Semaphore.js"
import { defectMessage, settle } from "./utils/effects.js"

/** Forks `take(n)`, recording in `log` when it is granted. */
const taker = (sem: Semaphore.Semaphore, n: number, log: Array<string>, name: string) =>
  Effect.forkChild(sem.take(n).pipe(Effect.tap(() => Effect.sync(() => log.push(name)))))

describe("Semaphore capacity", () => {
  describe("resize", () => {
    it.effect("up wakes waiters", () =>
      Effect.gen(function*() {
        const sem = yield* Semaphore.make(1)
        const log: Array<string> = []
        yield* sem.take(1)
        yield* taker(sem, 1, log, "a")
        yield* taker(sem, 1, log, "b")
        yield* settle
        yield* sem.resize(3)
        yield* settle
        assert.deepStrictEqual(log, ["a", "b"])
        assert.deepStrictEqual(sem.unsafeStats(), { capacity: 3, inUse: 3, waiting: 0 })
      }))

    it.effect("down lets the holders finish and admits nobody until usage is under the new size", () =>
      Effect.gen(function*() {
        const sem = yield* Semaphore.make(4)
        const log: Array<string> = []
        yield* sem.take(4)
        yield* taker(sem, 1, log, "a")
        yield* settle
        yield* sem.resize(2)
        assert.deepStrictEqual(sem.unsafeStats(), { capacity: 2, inUse: 4, waiting: 1 })
        yield* sem.release(1)
        yield* settle
        yield* sem.release(1)
        yield* settle
        assert.deepStrictEqual(log, []) // in use 2 of 2
        yield* sem.release(1)
        yield* settle
        assert.deepStrictEqual(log, ["a"])
        assert.deepStrictEqual(sem.unsafeStats(), { capacity: 2, inUse: 2, waiting: 0 })
      }))

    it.effect("an invalid size is a defect", () =>
      Effect.gen(function*() {
        const sem = yield* Semaphore.make(1)
        const exit = yield* Effect.exit(sem.resize(-1))
        assert.include(defectMessage(exit), "Semaphore.resize: capacity must be a non-negative integer")
        assert.strictEqual(sem.unsafeStats().capacity, 1)
      }))
  })

  describe("releaseAll", () => {
    it.effect("frees every permit and wakes waiters", () =>
      Effect.gen(function*() {
        const sem = yield* Semaphore.make(2)
        const log: Array<string> = []
        yield* sem.take(2)
        yield* taker(sem, 2, log, "a")
        yield* settle
        // The freed permits go straight to the waiter: none are left available.
        assert.strictEqual(yield* sem.releaseAll, 0)
        yield* settle
        assert.deepStrictEqual(log, ["a"])
        assert.strictEqual(sem.unsafeStats().inUse, 2)
      }))

    it.effect("permits of a running withPermits are not released a second time", () =>
      Effect.gen(function*() {
        const sem = yield* Semaphore.make(2)
        const gate = yield* Deferred.make<void>()
        const running = yield* Effect.forkChild(sem.withPermits(2)(Deferred.await(gate)))
        yield* settle
        assert.strictEqual(yield* sem.releaseAll, 2)
        // A newcomer takes the freed permits...
        yield* sem.take(2)
        // ...and the old holder finishing does not release them from under it.
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.join(running)
        assert.deepStrictEqual(sem.unsafeStats(), { capacity: 2, inUse: 2, waiting: 0 })
        assert.strictEqual(yield* sem.release(2), 2)
      }))

    it.effect("available never exceeds capacity", () =>
      Effect.gen(function*() {
        const sem = yield* Semaphore.make(3)
        yield* sem.take(2)
        yield* sem.releaseAll
        assert.strictEqual(yield* sem.releaseAll, 3)
        assert.strictEqual(sem.unsafeStats().inUse, 0)
      }))
  })

})
