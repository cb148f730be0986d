/**
 * The core's `Permits` as effects: a guard's wait for a permit (the core's
 * `Acquisition`, resumed through `Effect.callback`) and the release it awaits.
 *
 * @internal
 */
import type { Permits } from "@effect-concurrency-limiter/core/redis/permits"
import type { Lease, Refusal, RemoteResource } from "@effect-concurrency-limiter/core/redis/remote"
import * as Effect from "effect/Effect"
import type { Restore } from "../semaphore.js"

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
  restore: Restore,
  lost: () => void
): Effect.Effect<Lease, Refusal> =>
  Effect.suspend(() => {
    const acquisition = permits.start(resource, deadline, lost)
    // A grant resumes the fiber on its own dispatcher: resumed where the
    // grant is learnt (the channel's listening fiber), it would run the
    // guarded effect there, ahead of the next grant.
    const wait = Effect.withFiber((fiber) =>
      Effect.callback<Lease, Refusal>((resume) => {
        acquisition.send((outcome) => {
          if (outcome._tag === "refused") return resume(Effect.fail(outcome.refusal))
          const granted = Effect.succeed(outcome.lease)
          fiber.currentDispatcher.scheduleTask(() => resume(granted), 0)
        })
        return Effect.sync(() => acquisition.abandon())
      })
    )
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
