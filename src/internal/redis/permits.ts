/**
 * The core's `Permits` as effects: a guard's wait for a permit (the core's
 * `Acquisition`, resumed through `Effect.async`) and the release it awaits.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { Permits } from "@effect-concurrency-limiter/core/redis/permits"
import type { Lease, Refusal, RemoteResource } from "@effect-concurrency-limiter/core/redis/remote"

/**
 * Waits for one permit of `resource` until `deadline` (local ms;
 * `Infinity` for none). Must run uninterruptibly; only the wait itself is
 * made interruptible, by `restore`. An interrupted or refused wait leaves
 * the queue in Redis, and a permit granted meanwhile but not yet claimed
 * (the grant and the interruption in the same tick) is given back: the
 * lease is only the caller's once this effect has succeeded. `lost` is
 * called if the lease is later lost.
 *
 * @internal
 */
export const acquire = (
  permits: Permits,
  resource: RemoteResource,
  deadline: number,
  restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>,
  lost: () => void
): Effect.Effect<Lease, Refusal> =>
  Effect.suspend(() => {
    const acquisition = permits.start(resource, deadline, lost)
    const wait = Effect.async<Lease, Refusal>((resume) => {
      acquisition.send((outcome) => resume(outcome._tag === "granted" ? Effect.succeed(outcome.lease) : Effect.fail(outcome.refusal)))
      return Effect.sync(() => acquisition.abandon())
    })
    return Effect.matchCauseEffect(restore(wait), {
      onFailure: (cause) => {
        acquisition.abandon()
        return Effect.failCause(cause)
      },
      onSuccess: (lease) => {
        // Uninterruptible from the grant to here: the caller owns it now.
        acquisition.claim()
        return Effect.succeed(lease)
      }
    })
  })

/** `Permits.release` as an effect: done once Redis has answered (a failed release is only reported). @internal */
export const release = (permits: Permits, leases: ReadonlyArray<Lease>): Effect.Effect<void> =>
  Effect.promise(() => permits.release(leases))
