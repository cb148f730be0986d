/**
 * Interruption sweep: an acquisition is interrupted at every step of the
 * runtime it passes through — before it queues, while it waits, at the op
 * where its grant is observed, while it runs the guarded effect and while it
 * releases — for an uncontended and for a queued acquisition, and for the
 * shapes the library uses. Whatever the step, permits balance afterwards:
 * nothing leaks, nothing is released twice, nobody is left queued.
 *
 * The steps are counted with a `Supervisor` whose `onEffect` sees every op
 * of the supervised fibers (with `OpSupervision` on); the interrupt is sent
 * from there, so the run loop observes it at exactly that op.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Clock, Deferred, Effect, Exit, Fiber, FiberId, RuntimeFlags, RuntimeFlagsPatch, Supervisor } from "effect"
import * as Semaphore from "../src/Semaphore.js"

const settle = Effect.repeatN(Effect.yieldNow(), 20)

/** Counts ops of the supervised fibers and interrupts at op number `at`. */
class InterruptAt extends Supervisor.AbstractSupervisor<void> {
  count = 0
  target: Fiber.RuntimeFiber<unknown, unknown> | undefined = undefined
  readonly value = Effect.void
  constructor(readonly at: number, readonly whom: "root" | "current") {
    super()
  }
  override onEffect<A, E>(fiber: Fiber.RuntimeFiber<A, E>, _effect: Effect.Effect<unknown, unknown, unknown>): void {
    if (this.count++ === this.at) {
      const victim = this.whom === "root" ? this.target : fiber
      victim?.unsafeInterruptAsFork(FiberId.none)
    }
  }
}

type Shape = (sem: Semaphore.Semaphore) => Effect.Effect<unknown, unknown>

const body = Effect.yieldNow().pipe(Effect.zipRight(Effect.yieldNow()))

const shapes: Record<string, Shape> = {
  withPermits: (sem) => sem.withPermits(1)(body),
  "withPermits(2)": (sem) => sem.withPermits(2)(body),
  "acquireRelease(interruptible(take))": (sem) =>
    Effect.scoped(Effect.zipRight(
      Effect.acquireRelease(Effect.interruptible(sem.take(1)), () => sem.release(1)),
      body
    )),
  // On the live clock: the TestClock's own bookkeeping (a SynchronizedRef,
  // guarded by Effect's own semaphore) does not survive being interrupted at
  // every op, and it is not what is under test here. The timeout never fires.
  "acquireRelease(interruptible(take)) + timeoutFail": (sem) =>
    Effect.scoped(Effect.zipRight(
      Effect.acquireRelease(Effect.interruptible(sem.take(1)), () => sem.release(1)).pipe(
        Effect.timeoutFail({ duration: "1 hour", onTimeout: () => "busy" })
      ),
      body
    )).pipe(Effect.withClock(Clock.make())),
  "tryTake then acquireRelease(take)": (sem) =>
    Effect.scoped(Effect.zipRight(
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
 * how many ops the supervised fibers ran.
 */
const runOnce = (shape: Shape, queued: boolean, at: number, whom: "root" | "current") =>
  Effect.gen(function*() {
    const sem = yield* Semaphore.make(2)
    if (queued) yield* sem.take(2)
    const supervisor = new InterruptAt(at, whom)
    const fiber = yield* Effect.fork(
      shape(sem).pipe(
        Effect.supervised(supervisor),
        Effect.withRuntimeFlagsPatch(RuntimeFlagsPatch.enable(RuntimeFlags.OpSupervision))
      )
    )
    supervisor.target = fiber
    yield* settle
    if (queued) {
      yield* sem.release(2)
      yield* settle
    }
    const exit = yield* Fiber.await(fiber)
    const label = `interrupt ${whom} at op ${at}${queued ? " (queued)" : ""}`
    if (Exit.isFailure(exit)) {
      assert.isTrue(Cause.isInterruptedOnly(exit.cause), `${label}: ${Cause.pretty(exit.cause)}`)
    }
    assert.deepStrictEqual(sem.unsafeStats(), { capacity: 2, inUse: 0, waiting: 0 }, label)
    assert.isTrue(yield* sem.tryTake(2), label)
    return supervisor.count
  })

describe("Semaphore interruption sweep", () => {
  for (const [name, shape] of Object.entries(shapes)) {
    for (const queued of [false, true]) {
      for (const whom of ["root", "current"] as const) {
        it.effect(`${name}, ${queued ? "queued" : "uncontended"}, interrupting the ${whom} fiber`, () =>
          Effect.gen(function*() {
            const total = yield* runOnce(shape, queued, -1, whom)
            assert.isAbove(total, 5)
            for (let at = 0; at <= total; at++) {
              yield* runOnce(shape, queued, at, whom)
            }
          }))
      }
    }
  }
})

/** Interrupts `victim` and releases the permit it waits for, in `order`, in the same tick. */
const interruptAndGrant = (
  order: "interrupt, then grant" | "grant, then interrupt",
  victim: Fiber.RuntimeFiber<unknown, unknown>,
  sem: Semaphore.Semaphore
) =>
  Effect.suspend(() => {
    if (order === "interrupt, then grant") {
      victim.unsafeInterruptAsFork(FiberId.none)
      return sem.release(1)
    }
    return Effect.tap(sem.release(1), () => victim.unsafeInterruptAsFork(FiberId.none))
  })

describe("Semaphore grant/interrupt races", () => {
  for (const order of ["interrupt, then grant", "grant, then interrupt"] as const) {
    it.effect(`${order} in the same tick hands the permits on`, () =>
      Effect.gen(function*() {
        const sem = yield* Semaphore.make(1)
        yield* sem.take(1)
        const victim = yield* Effect.fork(sem.withPermits(1)(Effect.never))
        const next = yield* Effect.fork(sem.withPermits(1)(Effect.void))
        yield* settle
        assert.strictEqual(sem.unsafeStats().waiting, 2)
        yield* interruptAndGrant(order, victim, sem)
        assert.isTrue(Exit.isInterrupted(yield* Fiber.await(victim)))
        assert.isTrue(Exit.isSuccess(yield* Fiber.await(next)))
        assert.deepStrictEqual(sem.unsafeStats(), { capacity: 1, inUse: 0, waiting: 0 })
      }))

    it.effect(`${order} in the same tick, Limiter shape with a timeout, leaks nothing`, () =>
      Effect.gen(function*() {
        const sem = yield* Semaphore.make(1)
        yield* sem.take(1)
        const gate = yield* Deferred.make<void>()
        const acquire = Effect.scoped(Effect.zipRight(
          Effect.acquireRelease(Effect.interruptible(sem.take(1)), () => sem.release(1)).pipe(
            Effect.timeoutFail({ duration: "1 second", onTimeout: () => "busy" })
          ),
          Deferred.await(gate)
        ))
        const victim = yield* Effect.fork(acquire)
        const next = yield* Effect.fork(acquire)
        yield* settle
        yield* interruptAndGrant(order, victim, sem)
        yield* Fiber.await(victim)
        yield* settle
        // Whoever got the permit holds it until the gate opens.
        assert.strictEqual(sem.unsafeStats().inUse, 1)
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.await(next)
        assert.deepStrictEqual(sem.unsafeStats(), { capacity: 1, inUse: 0, waiting: 0 })
      }))
  }
})
