/**
 * The semaphore as the public `Semaphore` (an `Effect.Semaphore` with
 * extras): takes and releases by count, guarded regions, resizing and stats,
 * over the waits and hand-off it extends.
 *
 * Permits taken by count (`take`, `tryTake`) have no receipt, so the
 * semaphore counts them (the core's `Counted`): a raw `release` may give
 * back only those. The synchronous entry points (`unsafeRelease`,
 * `unsafeTryTake`, a checked resize, stats) are the core's `CheckedSemaphore`.
 *
 * @internal
 */
import { Held } from "@effect-concurrency-limiter/core/semaphore/waiter"
import { invalidPermits, isPermitCount, validateCapacity } from "@effect-concurrency-limiter/core/semaphore/checked"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import { identity } from "effect/Function"
import type * as Option from "effect/Option"
import * as RuntimeFlags from "effect/RuntimeFlags"
import type * as Semaphore from "../../Semaphore.js"
import { holding } from "./receipts.js"
import type { Waiter } from "./outcomes.js"
import { Waits } from "./waits.js"

/**
 * Typed through the public module (as effect's own internals do) so that the
 * public `TypeId` and this one are the same `unique symbol` type.
 *
 * @internal
 */
export const TypeId: Semaphore.TypeId = Symbol.for("effect-concurrency-limiter/Semaphore") as Semaphore.TypeId

export { validateCapacity }

/** @internal */
export class SemaphoreImpl extends Waits implements Semaphore.Semaphore {
  readonly [TypeId]: Semaphore.TypeId = TypeId

  /**
   * `take` for a caller whose region is interruptible, e.g.
   * `Effect.acquireRelease(Effect.interruptible(sem.take(1)), release)`.
   *
   * Whatever runs between our uninterruptible region and the caller's next
   * step gives the runtime one point where it can observe an interruption
   * while the permits are ours but not yet the caller's (reverting to an
   * interruptible region always ends a run-loop step). So the grant stays
   * `Granted` across that point, guarded by an exit observer on the fiber,
   * and becomes the caller's in a final `sync` whose result goes straight to
   * the caller's continuation. If the interruption lands in between, the
   * observer returns the permits when the fiber exits.
   */
  takeInterruptibly(permits: number, fiber: Fiber.RuntimeFiber<unknown, unknown>): Effect.Effect<number> {
    let waiter: Waiter
    let observer: (exit: Exit.Exit<unknown, unknown>) => void
    return Effect.flatMap(
      Effect.uninterruptibleMask((restore) =>
        // The mask's body runs when the effect runs, so `acquire` sees the
        // state of that moment.
        Effect.map(this.acquire(permits, restore), (granted) => {
          waiter = granted
          // Lenient: it runs inside the runtime's exit observers, where a
          // defect has nowhere to go.
          observer = () => this.reclaim(granted)
          fiber.addObserver(observer)
        })
      ),
      () =>
        Effect.sync(() => {
          fiber.removeObserver(observer)
          this.countGrant(waiter)
          return permits
        })
    )
  }

  // --- Effect.Semaphore ----------------------------------------------------

  readonly take = (permits: number): Effect.Effect<number> =>
    isPermitCount(permits)
      ? Effect.withFiberRuntime<number>((fiber, status) =>
        RuntimeFlags.interruption(status.runtimeFlags)
          ? this.takeInterruptibly(permits, fiber)
          // Uninterruptible caller: nothing can interrupt between the grant
          // and the caller's next step, and the wait is uninterruptible too.
          : Effect.map(this.acquire(permits, identity), (waiter) => {
            this.countGrant(waiter)
            return permits
          })
      )
      : Effect.die(invalidPermits("take", permits))

  readonly release = (permits: number): Effect.Effect<number> =>
    isPermitCount(permits)
      ? Effect.sync(() => this.unsafeRelease(permits))
      : Effect.die(invalidPermits("release", permits))

  readonly releaseAll: Effect.Effect<number> = Effect.sync(() => {
    this.revokeAll()
    return this.capacity - this.taken
  })

  readonly resize = (permits: number): Effect.Effect<void> =>
    Effect.sync(() => this.resizeChecked(permits))

  readonly withPermits = (permits: number) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    isPermitCount(permits)
      ? Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(this.acquire(permits, restore), (waiter) => {
          // Everything from the grant to here ran uninterruptibly, and the
          // release is installed before `self` becomes interruptible.
          waiter.state = Held
          return holding(restore(self), [waiter])
        })
      )
      : Effect.die(invalidPermits("withPermits", permits))

  readonly withPermitsIfAvailable = (permits: number) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<Option.Option<A>, E, R> =>
    isPermitCount(permits)
      ? Effect.uninterruptibleMask((restore) => {
        const grant = this.tryHold(permits)
        return grant === null ? Effect.succeedNone : holding(Effect.asSome(restore(self)), [grant])
      })
      : Effect.die(invalidPermits("withPermitsIfAvailable", permits))

  // --- extras ----------------------------------------------------------------

  readonly tryTake = (permits: number): Effect.Effect<boolean> =>
    isPermitCount(permits)
      ? Effect.sync(() => this.unsafeTryTake(permits))
      : Effect.die(invalidPermits("tryTake", permits))

  readonly stats: Effect.Effect<Semaphore.Stats> = Effect.sync(() => this.unsafeStats())
}
