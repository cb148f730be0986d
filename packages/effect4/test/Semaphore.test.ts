/**
 * The semaphore's contract on Effect 4: Effect's `Semaphore` interface,
 * strict FIFO (no barging, weighted heads keep their place), bounds, scoped
 * takes, timeouts and introspection (resize and releaseAll: Semaphore.capacity.test.ts).
 * TestClock only.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as EffectSemaphore from "effect/Semaphore"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/testing/TestClock"
import * as Semaphore from "../src/Semaphore.js"
import { defectMessage, settle } from "./utils/effects.js"

/** Forks `take(n)`, recording in `log` when it is granted. */
const taker = (sem: Semaphore.Semaphore, n: number, log: Array<string>, name: string) =>
  Effect.forkChild(sem.take(n).pipe(Effect.tap(() => Effect.sync(() => log.push(name)))))

describe("Semaphore", () => {
  describe("construction", () => {
    it.effect("make and isSemaphore", () =>
      Effect.gen(function*() {
        const sem = yield* Semaphore.make(3)
        assert.isTrue(Semaphore.isSemaphore(sem))
        assert.isFalse(Semaphore.isSemaphore(yield* EffectSemaphore.make(1)))
        assert.isFalse(Semaphore.isSemaphore(null))
        assert.deepStrictEqual(yield* sem.stats, { capacity: 3, inUse: 0, waiting: 0 })
        // It stands wherever Effect's Semaphore is expected, with Effect's own combinators.
        const asEffects: EffectSemaphore.Semaphore = sem
        assert.strictEqual(yield* EffectSemaphore.take(asEffects, 1), 1)
        assert.strictEqual(yield* EffectSemaphore.withPermit(asEffects, Effect.succeed("x")), "x")
        assert.strictEqual(yield* EffectSemaphore.release(asEffects, 1), 3)
      }))

    it.effect("an invalid capacity is a defect", () =>
      Effect.gen(function*() {
        for (const bad of [-1, 1.5, Number.NaN, Infinity]) {
          const exit = yield* Effect.exit(Semaphore.make(bad))
          assert.include(defectMessage(exit), "capacity must be a non-negative integer")
          assert.throws(() => Semaphore.unsafeMake(bad), /capacity must be a non-negative integer/)
        }
        assert.strictEqual(Semaphore.unsafeMake(0).unsafeStats().capacity, 0)
      }))
  })

  describe("Effect's Semaphore semantics", () => {
    it.effect("take returns n, release returns the available permits", () =>
      Effect.gen(function*() {
        const sem = yield* Semaphore.make(5)
        assert.strictEqual(yield* sem.take(3), 3)
        assert.deepStrictEqual(sem.unsafeStats(), { capacity: 5, inUse: 3, waiting: 0 })
        assert.strictEqual(yield* sem.release(2), 4)
        assert.strictEqual(yield* sem.release(1), 5)
      }))

    it.effect("a non-positive-integer permit count is a defect in every method", () =>
      Effect.gen(function*() {
        const sem = yield* Semaphore.make(5)
        for (const bad of [0, -1, 1.5, Number.NaN]) {
          const attempts = [
            ["take", sem.take(bad)],
            ["release", sem.release(bad)],
            ["tryTake", sem.tryTake(bad)],
            ["takeIfAvailable", sem.takeIfAvailable(bad)],
            ["takeScoped", Effect.scoped(sem.takeScoped(bad))],
            ["withPermits", sem.withPermits(bad)(Effect.void)],
            ["withPermitsIfAvailable", sem.withPermitsIfAvailable(bad)(Effect.void)]
          ] as const
          for (const [method, attempt] of attempts) {
            const exit = yield* Effect.exit(attempt)
            assert.include(defectMessage(exit), `Semaphore.${method}: permits must be a positive integer`)
          }
        }
        assert.deepStrictEqual(sem.unsafeStats(), { capacity: 5, inUse: 0, waiting: 0 })
      }))

    it.effect("releasing more than was taken is a defect and changes nothing", () =>
      Effect.gen(function*() {
        const sem = yield* Semaphore.make(2)
        yield* sem.take(1)
        const exit = yield* Effect.exit(sem.release(2))
        assert.include(defectMessage(exit), "releasing 2 permit(s) but only 1 are taken")
        assert.strictEqual(sem.unsafeStats().inUse, 1)
        yield* sem.release(1)
        assert.include(defectMessage(yield* Effect.exit(sem.release(1))), "released twice")
      }))

    it.effect("withPermits and withPermit release on success, failure, defect and interruption", () =>
      Effect.gen(function*() {
        const sem = yield* Semaphore.make(2)
        assert.strictEqual(yield* sem.withPermits(2)(Effect.succeed(1)), 1)
        assert.strictEqual(yield* sem.withPermit(Effect.succeed(2)), 2)
        yield* Effect.exit(sem.withPermits(2)(Effect.fail("boom")))
        yield* Effect.exit(sem.withPermits(2)(Effect.die("bang")))
        const fiber = yield* Effect.forkChild(sem.withPermits(2)(Effect.never))
        yield* settle
        assert.strictEqual(sem.unsafeStats().inUse, 2)
        yield* Fiber.interrupt(fiber)
        assert.deepStrictEqual(sem.unsafeStats(), { capacity: 2, inUse: 0, waiting: 0 })
      }))

    it.effect("withPermitsIfAvailable runs only when the permits are free now", () =>
      Effect.gen(function*() {
        const sem = yield* Semaphore.make(2)
        assert.deepStrictEqual(yield* sem.withPermitsIfAvailable(2)(Effect.succeed("a")), Option.some("a"))
        yield* sem.take(1)
        assert.deepStrictEqual(yield* sem.withPermitsIfAvailable(2)(Effect.succeed("b")), Option.none())
        assert.deepStrictEqual(yield* sem.withPermitsIfAvailable(1)(Effect.succeed("c")), Option.some("c"))
        assert.strictEqual(sem.unsafeStats().inUse, 1)
      }))

    it.effect("takeScoped holds the permits until the scope closes, however it closes", () =>
      Effect.gen(function*() {
        const sem = yield* Semaphore.make(2)
        yield* Effect.scoped(Effect.gen(function*() {
          yield* sem.takeScoped(2)
          assert.strictEqual(sem.unsafeStats().inUse, 2)
        }))
        assert.strictEqual(sem.unsafeStats().inUse, 0)
        yield* Effect.exit(Effect.scoped(Effect.andThen(sem.takeScoped(1), Effect.fail("boom"))))
        assert.strictEqual(sem.unsafeStats().inUse, 0)
        // Queued, then interrupted while waiting: nothing held, nobody queued.
        yield* sem.take(2)
        const waiting = yield* Effect.forkChild(Effect.scoped(Effect.andThen(sem.takeScoped(1), Effect.never)))
        yield* settle
        assert.strictEqual(sem.unsafeStats().waiting, 1)
        yield* Fiber.interrupt(waiting)
        assert.deepStrictEqual(sem.unsafeStats(), { capacity: 2, inUse: 2, waiting: 0 })
        // Granted while queued, then the scope's fiber is interrupted: released.
        const holder = yield* Effect.forkChild(Effect.scoped(Effect.andThen(sem.takeScoped(1), Effect.never)))
        yield* settle
        yield* sem.release(1)
        yield* settle
        assert.deepStrictEqual(sem.unsafeStats(), { capacity: 2, inUse: 2, waiting: 0 })
        yield* Fiber.interrupt(holder)
        assert.deepStrictEqual(sem.unsafeStats(), { capacity: 2, inUse: 1, waiting: 0 })
      }))
  })

  describe("strict FIFO", () => {
    it.effect("waiters are served in arrival order", () =>
      Effect.gen(function*() {
        const sem = yield* Semaphore.make(1)
        const log: Array<string> = []
        yield* sem.take(1)
        for (const name of ["a", "b", "c", "d"]) {
          yield* taker(sem, 1, log, name)
          yield* settle
        }
        assert.strictEqual(sem.unsafeStats().waiting, 4)
        for (let i = 0; i < 4; i++) {
          yield* sem.release(1)
          yield* settle
        }
        assert.deepStrictEqual(log, ["a", "b", "c", "d"])
      }))

    it.effect("no barging: a newcomer that finds free permits still queues behind a waiter", () =>
      Effect.gen(function*() {
        const sem = yield* Semaphore.make(2)
        const log: Array<string> = []
        yield* sem.take(1)
        yield* taker(sem, 2, log, "heavy") // needs 2, 1 is free: waits
        yield* settle
        // One permit is free, but "heavy" waits: nobody may pass it.
        assert.isFalse(yield* sem.tryTake(1))
        assert.isFalse(yield* sem.takeIfAvailable(1))
        assert.deepStrictEqual(yield* sem.withPermitsIfAvailable(1)(Effect.succeed(1)), Option.none())
        yield* taker(sem, 1, log, "light")
        yield* settle
        assert.deepStrictEqual(log, [])
        assert.deepStrictEqual(sem.unsafeStats(), { capacity: 2, inUse: 1, waiting: 2 })
        yield* sem.release(1)
        yield* settle
        assert.deepStrictEqual(log, ["heavy"])
        yield* sem.release(2)
        yield* settle
        assert.deepStrictEqual(log, ["heavy", "light"])
      }))

    it.effect("one release wakes every waiter it can satisfy, in order", () =>
      Effect.gen(function*() {
        const sem = yield* Semaphore.make(4)
        const log: Array<string> = []
        yield* sem.take(4)
        yield* taker(sem, 1, log, "a")
        yield* taker(sem, 2, log, "b")
        yield* taker(sem, 2, log, "c")
        yield* taker(sem, 1, log, "d")
        yield* settle
        yield* sem.release(4)
        yield* settle
        // a (1) + b (2) fit; c (2) does not fit in the remaining 1, so d waits behind it.
        assert.deepStrictEqual(log, ["a", "b"])
        assert.deepStrictEqual(sem.unsafeStats(), { capacity: 4, inUse: 3, waiting: 2 })
      }))

    it.effect("an interrupted head lets the waiters behind it through", () =>
      Effect.gen(function*() {
        const sem = yield* Semaphore.make(2)
        const log: Array<string> = []
        yield* sem.take(1)
        const heavy = yield* taker(sem, 2, log, "heavy")
        yield* taker(sem, 1, log, "light")
        yield* settle
        assert.deepStrictEqual(log, [])
        yield* Fiber.interrupt(heavy)
        yield* settle
        assert.deepStrictEqual(log, ["light"])
        assert.deepStrictEqual(sem.unsafeStats(), { capacity: 2, inUse: 2, waiting: 0 })
      }))

    it.effect("an interrupted waiter in the middle leaves the order intact", () =>
      Effect.gen(function*() {
        const sem = yield* Semaphore.make(1)
        const log: Array<string> = []
        yield* sem.take(1)
        yield* taker(sem, 1, log, "a")
        const b = yield* taker(sem, 1, log, "b")
        yield* taker(sem, 1, log, "c")
        yield* settle
        yield* Fiber.interrupt(b)
        assert.strictEqual(sem.unsafeStats().waiting, 2)
        yield* sem.release(1)
        yield* settle
        yield* sem.release(1)
        yield* settle
        assert.deepStrictEqual(log, ["a", "c"])
      }))

    it.effect("take(n) larger than the capacity waits for a resize, holding its place", () =>
      Effect.gen(function*() {
        const sem = yield* Semaphore.make(2)
        const log: Array<string> = []
        yield* taker(sem, 3, log, "big")
        yield* taker(sem, 1, log, "small")
        yield* settle
        assert.deepStrictEqual(log, [])
        assert.isFalse(yield* sem.tryTake(3))
        yield* sem.resize(3)
        yield* settle
        assert.deepStrictEqual(log, ["big"])
      }))

    it.effect("a long queue of short effects is served without nesting one call per waiter", () =>
      Effect.gen(function*() {
        const sem = yield* Semaphore.make(1)
        let ran = 0
        yield* sem.take(1)
        const fibers = yield* Effect.forEach(
          Array.from({ length: 20_000 }, (_, i) => i),
          () => Effect.forkChild(sem.withPermits(1)(Effect.sync(() => ran++)))
        )
        yield* settle
        assert.strictEqual(sem.unsafeStats().waiting, 20_000)
        yield* sem.release(1)
        yield* Fiber.joinAll(fibers)
        assert.strictEqual(ran, 20_000)
        assert.deepStrictEqual(sem.unsafeStats(), { capacity: 1, inUse: 0, waiting: 0 })
      }))
  })

  describe("unsafeTryTake and unsafeRelease", () => {
    it.effect("release synchronously and hand the permit to the head waiter", () =>
      Effect.gen(function*() {
        const sem = yield* Semaphore.make(1)
        assert.isTrue(sem.unsafeTryTake(1))
        const waiter = yield* Effect.forkChild(sem.take(1))
        yield* settle
        assert.strictEqual(sem.unsafeStats().waiting, 1)
        assert.strictEqual(sem.unsafeRelease(1), 0, "the freed permit went straight to the waiter")
        assert.strictEqual(yield* Fiber.join(waiter), 1)
        assert.deepStrictEqual(sem.unsafeStats(), { capacity: 1, inUse: 1, waiting: 0 })
      }))

    it("throw on a bad count or a release of more than is taken, and change nothing", () => {
      const sem = Semaphore.unsafeMake(2)
      assert.isTrue(sem.unsafeTryTake(1))
      assert.throws(() => sem.unsafeRelease(0), RangeError, "unsafeRelease: permits must be a positive integer, got 0")
      assert.throws(() => sem.unsafeRelease(1.5), RangeError, "got 1.5")
      assert.throws(() => sem.unsafeRelease(2), RangeError, "releasing 2 permit(s) but only 1 are taken")
      assert.deepStrictEqual(sem.unsafeStats(), { capacity: 2, inUse: 1, waiting: 0 })
      assert.strictEqual(sem.unsafeRelease(1), 2)
    })
  })

  describe("timeouts", () => {
    it.effect("a timed-out waiter leaves the queue and leaks nothing", () =>
      Effect.gen(function*() {
        const sem = yield* Semaphore.make(1)
        yield* sem.take(1)
        const acquire = Effect.scoped(
          Effect.acquireRelease(Effect.interruptible(sem.take(1)), () => sem.release(1)).pipe(
            Effect.timeoutOrElse({ duration: "100 millis", orElse: () => Effect.fail("busy" as const) })
          )
        )
        const fibers = yield* Effect.forEach([1, 2, 3], () => Effect.forkChild(acquire))
        yield* settle
        assert.strictEqual(sem.unsafeStats().waiting, 3)
        yield* TestClock.adjust("100 millis")
        for (const fiber of fibers) {
          assert.deepStrictEqual(yield* Fiber.await(fiber), Exit.fail("busy" as const))
        }
        assert.deepStrictEqual(sem.unsafeStats(), { capacity: 1, inUse: 1, waiting: 0 })
        yield* sem.release(1)
        assert.isTrue(yield* sem.tryTake(1))
      }))
  })

  describe("introspection", () => {
    it.effect("stats counts queued fibers", () =>
      Effect.gen(function*() {
        const sem = yield* Semaphore.make(1)
        yield* sem.take(1)
        const fibers = yield* Effect.forEach([1, 2, 3], () => Effect.forkChild(sem.take(1)))
        yield* settle
        assert.deepStrictEqual(yield* sem.stats, { capacity: 1, inUse: 1, waiting: 3 })
        yield* Fiber.interruptAll(fibers)
        assert.deepStrictEqual(yield* sem.stats, { capacity: 1, inUse: 1, waiting: 0 })
        assert.strictEqual(String(sem), "Semaphore({\"capacity\":1,\"inUse\":1,\"waiting\":0})")
      }))
  })
})
