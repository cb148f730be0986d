/**
 * The guard of a `RedisLimiter`: `Limiter.withResources` hands it the
 * acquisition, in canonical order under one deadline, and the holding.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { BusyError } from "../../BusyError.js"
import type { BusyErrors } from "../busyErrors.js"
import type * as Resource from "../../Resource.js"
import type { RemoteBackend } from "../limiter.js"
import type { Lease, Permits, RemoteResource } from "./permits.js"

/** What a guard does while Redis is unreachable. */
export type Unavailable = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  ordered: ReadonlyArray<Resource.Resource.Any>,
  timeout: Duration.Duration
) => Effect.Effect<A, E | BusyError, R>


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
      return Effect.withFiberRuntime<A, E | BusyError, R>((fiber) => {
        const deadline = Duration.isFinite(timeout) ? Date.now() + Duration.toMillis(timeout) : Infinity
        const leases: Array<Lease> = []
        const from = (i: number): Effect.Effect<A, E | BusyError, R> =>
          i === ordered.length
            ? Effect.ensuring(restore(self), permits.release(leases))
            : Effect.matchCauseEffect(restore(permits.acquire(remoteOf(ordered[i]), fiber, deadline)), {
              onFailure: (cause) => {
                // The permits taken so far were never used: give them back now.
                permits.releaseNow(leases)
                if (!Cause.isFailType(cause)) return Effect.failCause(cause as Cause.Cause<never>)
                if (cause.error === "unavailable") return restore(unavailable(self, ordered, timeout))
                return Effect.fail(busyErrors.get(ordered[i].name, cause.error, timeout))
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
