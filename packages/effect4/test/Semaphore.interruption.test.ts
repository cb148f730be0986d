/**
 * Interruption sweep on Effect 4: an acquisition is interrupted at every
 * step of the runtime it passes through — before it queues, while it waits,
 * at the step where its grant is observed, while it runs the guarded effect
 * and while it releases — for an uncontended and for a queued acquisition,
 * and for each shape of use. Whatever the step, permits balance afterwards:
 * nothing leaks, nothing is released twice, nobody is left queued.
 *
 * The steps are counted, and the interrupt sent, by the scheduler of
 * test/utils/interruptAt.ts.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Scheduler from "effect/Scheduler"
import * as Semaphore from "../src/Semaphore.js"
import { settle } from "./utils/effects.js"
import { InterruptAt } from "./utils/interruptAt.js"

type Shape = (sem: Semaphore.Semaphore) => Effect.Effect<unknown, unknown>

const body = Effect.andThen(Effect.yieldNow, Effect.yieldNow)

const shapes: Record<string, Shape> = {
  withPermits: (sem) => sem.withPermits(1)(body),
  "withPermits(2)": (sem) => sem.withPermits(2)(body),
  withPermit: (sem) => sem.withPermit(body),
  takeScoped: (sem) => Effect.scoped(Effect.andThen(sem.takeScoped(1), body)),
  "acquireRelease(interruptible(take))": (sem) =>
    Effect.scoped(Effect.andThen(
      Effect.acquireRelease(Effect.interruptible(sem.take(1)), () => sem.release(1)),
      body
    )),
  "acquireRelease(interruptible(take)) + timeout": (sem) =>
    Effect.scoped(Effect.andThen(
      Effect.acquireRelease(Effect.interruptible(sem.take(1)), () => sem.release(1)).pipe(
        Effect.timeoutOrElse({ duration: "1 hour", orElse: () => Effect.fail("busy") })
      ),
      body
    )),
  "tryTake then acquireRelease(take)": (sem) =>
    Effect.scoped(Effect.andThen(
      Effect.acquireRelease(
        Effect.flatMap(sem.tryTake(1), (took) => took ? Effect.void : Effect.asVoid(Effect.interruptible(sem.take(1)))),
        () => sem.release(1)
      ),
      body
    )),
  withPermitsIfAvailable: (sem) => sem.withPermitsIfAvailable(1)(body)
}

/**
 * One run: a semaphore of 2 permits; when `queued`, the test holds them all
 * so the acquisition must wait, and releases them once it is parked. Returns
 * how many ops the fibers under the counting scheduler ran.
 */
const runOnce = (shape: Shape, queued: boolean, at: number, whom: "root" | "current") =>
  Effect.gen(function*() {
    const sem = yield* Semaphore.make(2)
    if (queued) yield* sem.take(2)
    const scheduler = new InterruptAt(yield* Scheduler.Scheduler, at, whom)
    // Forked to start later: the target is known before its first op.
    const fiber = yield* Effect.forkChild(shape(sem).pipe(Effect.provideService(Scheduler.Scheduler, scheduler)))
    scheduler.target = fiber
    yield* settle
    if (queued) {
      yield* sem.release(2)
      yield* settle
    }
    const exit = yield* Fiber.await(fiber)
    const label = `interrupt ${whom} at op ${at}${queued ? " (queued)" : ""}`
    if (Exit.isFailure(exit)) {
      assert.isTrue(Cause.hasInterruptsOnly(exit.cause), `${label}: ${Cause.pretty(exit.cause)}`)
    }
    assert.deepStrictEqual(sem.unsafeStats(), { capacity: 2, inUse: 0, waiting: 0 }, label)
    assert.isTrue(yield* sem.tryTake(2), label)
    return { ops: scheduler.count, interrupted: Exit.isFailure(exit) }
  })

describe("Semaphore interruption sweep", () => {
  for (const [name, shape] of Object.entries(shapes)) {
    for (const queued of [false, true]) {
      for (const whom of ["root", "current"] as const) {
        it.effect(`${name}, ${queued ? "queued" : "uncontended"}, interrupting the ${whom} fiber`, () =>
          Effect.gen(function*() {
            const { ops } = yield* runOnce(shape, queued, -1, whom)
            assert.isAbove(ops, 1)
            let interrupted = 0
            for (let at = 0; at <= ops; at++) {
              if ((yield* runOnce(shape, queued, at, whom)).interrupted) interrupted++
            }
            // The sweep did interrupt (at least the early steps), so it tested something.
            assert.isAbove(interrupted, 0)
          }))
      }
    }
  }
})

/** Interrupts `victim` and releases the permit it waits for, in `order`, in the same step. */
const interruptAndGrant = (
  order: "interrupt, then grant" | "grant, then interrupt",
  victim: Fiber.Fiber<unknown, unknown>,
  sem: Semaphore.Semaphore
) =>
  Effect.sync(() => {
    if (order === "interrupt, then grant") {
      victim.interruptUnsafe()
      sem.unsafeRelease(1)
    } else {
      sem.unsafeRelease(1)
      victim.interruptUnsafe()
    }
  })

describe("Semaphore grant/interrupt races", () => {
  for (const order of ["interrupt, then grant", "grant, then interrupt"] as const) {
    it.effect(`${order} in the same step hands the permits on`, () =>
      Effect.gen(function*() {
        const sem = yield* Semaphore.make(1)
        yield* sem.take(1)
        const victim = yield* Effect.forkChild(sem.withPermits(1)(Effect.never))
        const next = yield* Effect.forkChild(sem.withPermits(1)(Effect.void))
        yield* settle
        assert.strictEqual(sem.unsafeStats().waiting, 2)
        yield* interruptAndGrant(order, victim, sem)
        const victimExit = yield* Fiber.await(victim)
        assert.isTrue(Exit.isFailure(victimExit) && Cause.hasInterruptsOnly(victimExit.cause))
        assert.isTrue(Exit.isSuccess(yield* Fiber.await(next)))
        assert.deepStrictEqual(sem.unsafeStats(), { capacity: 1, inUse: 0, waiting: 0 })
      }))

    it.effect(`${order} in the same step, a take guarded by acquireRelease, leaks nothing`, () =>
      Effect.gen(function*() {
        const sem = yield* Semaphore.make(1)
        yield* sem.take(1)
        const acquire = Effect.scoped(Effect.andThen(
          Effect.acquireRelease(Effect.interruptible(sem.take(1)), () => sem.release(1)),
          Effect.never
        ))
        const victim = yield* Effect.forkChild(acquire)
        const next = yield* Effect.forkChild(acquire)
        yield* settle
        yield* interruptAndGrant(order, victim, sem)
        yield* Fiber.await(victim)
        yield* settle
        // The permit went to whoever still waits: the next one holds it.
        assert.deepStrictEqual(sem.unsafeStats(), { capacity: 1, inUse: 1, waiting: 0 })
        yield* Fiber.interrupt(next)
        assert.deepStrictEqual(sem.unsafeStats(), { capacity: 1, inUse: 0, waiting: 0 })
      }))
  }
})
