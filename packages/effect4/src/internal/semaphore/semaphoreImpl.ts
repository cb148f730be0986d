/**
 * The semaphore as the public `Semaphore` (Effect 4's `Semaphore` with
 * extras): takes and releases by count, guarded regions, scoped takes,
 * resizing and stats, over the waits it extends.
 *
 * Permits taken by count (`take`, `tryTake`) have no receipt, so the
 * semaphore counts them (the core's `Counted`): a raw `release` may give
 * back only those. The synchronous entry points (`unsafeRelease`,
 * `unsafeTryTake`, a checked resize, stats) are the core's `CheckedSemaphore`.
 *
 * @internal
 */
import { invalidPermits, isPermitCount, validateCapacity } from "@effect-concurrency-limiter/core/semaphore/checked"
import * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import type * as Semaphore from "../../Semaphore.js"
import { endingOf, holding } from "./receipts.js"
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

  // --- Effect's Semaphore ---------------------------------------------------

  /**
   * Whatever runs between the acquisition's uninterruptible region and the
   * caller's next step gives the runtime one point where it can observe an
   * interruption while the permits are taken but not yet the caller's
   * (leaving an uninterruptible region with an interruption pending drops
   * the region's result). So the grant stays `Granted` across that point,
   * guarded by an exit observer on the fiber, and becomes the caller's in a
   * final `sync` whose result goes straight to the caller's continuation.
   * If the interruption lands in between, the observer returns the permits
   * when the fiber exits.
   */
  readonly take = (permits: number): Effect.Effect<number> =>
    isPermitCount(permits)
      ? Effect.withFiber((fiber) => {
        let waiter: Waiter
        let unobserve: () => void
        return Effect.flatMap(
          Effect.uninterruptibleMask((restore) =>
            Effect.map(this.acquire(permits, restore), (granted) => {
              waiter = granted
              // Lenient: it runs inside the runtime's exit observers, where a
              // defect has nowhere to go.
              unobserve = fiber.addObserver(() => this.reclaim(granted))
            })
          ),
          () =>
            Effect.sync(() => {
              unobserve()
              this.countGrant(waiter)
              return permits
            })
        )
      })
      : Effect.die(invalidPermits("take", permits))

  readonly takeScoped = (permits: number): Effect.Effect<void, never, Scope.Scope> =>
    isPermitCount(permits)
      ? Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(Effect.scope, (scope) =>
          Effect.flatMap(this.acquire(permits, restore), (waiter) => {
            waiter.hold()
            return Scope.addFinalizerExit(scope, (exit) => Effect.sync(() => waiter.release(endingOf(exit))))
          }))
      )
      : Effect.die(invalidPermits("takeScoped", permits))

  readonly takeIfAvailable = (permits: number): Effect.Effect<boolean> =>
    isPermitCount(permits)
      ? Effect.sync(() => this.unsafeTryTake(permits))
      : Effect.die(invalidPermits("takeIfAvailable", permits))

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
          waiter.hold()
          return holding(restore(self), [waiter])
        })
      )
      : Effect.die(invalidPermits("withPermits", permits))

  readonly withPermit = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => this.withPermits(1)(self)

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
