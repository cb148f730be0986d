/**
 * The reference formulation of a guard, kept as the model the limiter is
 * checked against (test/Limiter.deadline.test.ts): every resource taken with
 * `Effect.acquireRelease(Effect.interruptible(take))`, in canonical order,
 * the whole acquisition under one `Effect.timeoutFail`, the releases in a
 * scope closed when the guarded effect ends. This is what `withResources`
 * did before the deadline moved inside the semaphore's wait; it is correct
 * by construction from Effect's own combinators, only slower.
 */
import { Duration, Effect } from "effect"
import { BusyError, Semaphore } from "effect-concurrency-limiter"

/** One resource of the reference: a name and its own semaphore. */
export interface ReferenceResource {
  readonly name: string
  readonly semaphore: Semaphore.Semaphore
}

/** Guards `self` with `resources` (already in canonical order) under one `timeoutFail` deadline. */
export const referenceGuard = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  resources: ReadonlyArray<ReferenceResource>,
  timeout: Duration.DurationInput
): Effect.Effect<A, E | BusyError.BusyError, R> =>
  Effect.scoped(
    Effect.gen(function*() {
      let waitingFor = resources[0].name
      const takeAll = Effect.forEach(resources, ({ name, semaphore }) =>
        Effect.suspend(() => {
          waitingFor = name
          return Effect.acquireRelease(Effect.interruptible(semaphore.take(1)), () => semaphore.release(1))
        }), { discard: true })
      yield* Effect.timeoutFail(takeAll, {
        duration: timeout,
        onTimeout: () => new BusyError.BusyError({ resource: waitingFor, waited: Duration.decode(timeout) })
      })
      return yield* self
    })
  )
