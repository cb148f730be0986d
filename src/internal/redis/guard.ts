/**
 * The guard of a `RedisLimiter`: `Limiter.withResources` hands it the
 * acquisition, in canonical order under one deadline, and the holding.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import type { BusyError } from "../../BusyError.js"
import type { BusyErrors } from "../busyErrors.js"
import type * as Resource from "../../Resource.js"
import type { RemoteBackend } from "../limiter.js"
import type { Permits } from "@effect-concurrency-limiter/core/redis/permits"
import type { Lease, RemoteResource } from "@effect-concurrency-limiter/core/redis/remote"
import { acquire, release } from "./permits.js"

/** What a guard does while Redis is unreachable. */
export type Unavailable = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  ordered: ReadonlyArray<Resource.Resource.Any>,
  timeout: Duration.Duration
) => Effect.Effect<A, E | BusyError, R>


/**
 * Runs the guarded effect in a fiber of its own, so that a lost lease can
 * stop it without interrupting the caller's fiber (whose interruption nothing
 * could catch): the guard then fails with `BusyError` (`"lease-lost"`). The
 * caller's interruption is passed on to it, and it has ended (its `FiberRef`s
 * merged back, as `Fiber.join` does) before the guard releases the leases.
 */
const runHolding = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>,
  holding: Holding,
  busyErrors: BusyErrors,
  timeout: Duration.Duration
): Effect.Effect<A, E | BusyError, R> =>
  Effect.flatMap(Effect.fork(restore(self)), (fiber) => {
    holding.fiber = fiber
    // Lost while the other resources were being acquired.
    if (holding.lost !== undefined) fiber.unsafeInterruptAsFork(FiberId.none)
    return Effect.flatMap(
      Effect.onInterrupt(restore(Fiber.await(fiber)), () => Fiber.interrupt(fiber)),
      (exit) => {
        const outcome: Effect.Effect<A, E | BusyError> = holding.lost !== undefined && Exit.isInterrupted(exit)
          ? Effect.fail(busyErrors.get(holding.lost, "lease-lost", timeout))
          : exit
        return Effect.zipRight(Fiber.inheritAll(fiber), outcome)
      }
    )
  })

/** A guard's holding: the fiber running the guarded effect, and the resource whose lease was lost, if one was. */
interface Holding {
  fiber: Fiber.RuntimeFiber<unknown, unknown> | undefined
  lost: string | undefined
}

/** @internal */
export const makeBackend = (
  permits: Permits,
  remoteOf: (resource: Resource.Resource.Any) => RemoteResource,
  up: () => boolean,
  unavailable: Unavailable,
  busyErrors: BusyErrors
): RemoteBackend => ({
  guard: <A, E, R>(
    self: Effect.Effect<A, E, R>,
    ordered: ReadonlyArray<Resource.Resource.Any>,
    timeout: Duration.Duration
  ): Effect.Effect<A, E | BusyError, R> =>
    Effect.uninterruptibleMask((restore) => {
      if (!up()) return restore(unavailable(self, ordered, timeout))
      return Effect.suspend<A, E | BusyError, R>(() => {
        const deadline = Duration.isFinite(timeout) ? Date.now() + Duration.toMillis(timeout) : Infinity
        const leases: Array<Lease> = []
        const holding: Holding = { fiber: undefined, lost: undefined }
        const lostOf = (name: string) => () => {
          if (holding.lost === undefined) holding.lost = name
          holding.fiber?.unsafeInterruptAsFork(FiberId.none)
        }
        const from = (i: number): Effect.Effect<A, E | BusyError, R> =>
          i === ordered.length
            ? Effect.ensuring(runHolding(self, restore, holding, busyErrors, timeout), release(permits, leases))
            : Effect.matchCauseEffect(acquire(permits, remoteOf(ordered[i]), deadline, restore, lostOf(ordered[i].name)), {
              onFailure: (cause) => {
                // The permits taken so far were never used: give them back now.
                permits.releaseNow(leases)
                if (!Cause.isFailType(cause)) return Effect.failCause(cause as Cause.Cause<never>)
                if (cause.error === "unavailable") return restore(unavailable(self, ordered, timeout))
                // The layer closed: its local share is gone too.
                const reason = cause.error === "closed" ? "unavailable" : cause.error
                return Effect.fail(busyErrors.get(ordered[i].name, reason, timeout))
              },
              onSuccess: (lease) => {
                leases.push(lease)
                return from(i + 1)
              }
            })
        return from(0)
      })
    })
})
