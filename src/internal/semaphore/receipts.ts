/**
 * Held grants, the receipts for their permits: running an effect while
 * holding some, and releasing them however it ends.
 *
 * @internal
 */
import { releaseGrants as coreReleaseGrants } from "@effect-concurrency-limiter/core/semaphore/grants"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import type { Ending, Waiter } from "./outcomes.js"

/**
 * Releases held grants, the last one first (the core's `releaseGrants`).
 *
 * @internal
 */
export const releaseGrants: (grants: ReadonlyArray<Waiter>, ending: Ending) => void = coreReleaseGrants

/**
 * Runs `self` (already restored to the caller's interruptibility) holding
 * `grants`, and releases them in its exit handler, however it ends. Called
 * inside an uninterruptible region, so the handler is in place before
 * `self` can be interrupted. It is the whole cost of an uncontended guard,
 * so it builds no release effect and adds no region of its own.
 *
 * @internal
 */
export const holding = <A, E, R>(self: Effect.Effect<A, E, R>, grants: ReadonlyArray<Waiter>): Effect.Effect<A, E, R> =>
  Effect.matchCauseEffect(self, {
    onFailure: (cause) => {
      try {
        releaseGrants(grants, Cause.isInterruptedOnly(cause) ? "interrupted" : "failure")
      } catch (defect) {
        // As a finalizer's defect would: after the effect's own failure, not instead of it.
        return Effect.failCause(Cause.sequential(cause, Cause.die(defect)))
      }
      return Effect.failCause(cause)
    },
    onSuccess: (a) => {
      releaseGrants(grants, "success")
      return Effect.succeed(a)
    }
  })
