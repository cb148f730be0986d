/**
 * Held grants, the receipts for their permits: running an effect while
 * holding some, and releasing them however it ends.
 *
 * @internal
 */
import { releaseGrants as coreReleaseGrants } from "@effect-concurrency-limiter/core/semaphore/grants"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type { Ending, Waiter } from "./outcomes.js"

/**
 * Releases held grants, the last one first (the core's `releaseGrants`).
 *
 * @internal
 */
export const releaseGrants: (grants: ReadonlyArray<Waiter>, ending: Ending) => void = coreReleaseGrants

/**
 * How an effect's exit ends the grants it held.
 *
 * @internal
 */
export const endingOf = (exit: Exit.Exit<unknown, unknown>): Ending =>
  Exit.isSuccess(exit) ? "success" : Cause.hasInterruptsOnly(exit.cause) ? "interrupted" : "failure"

/**
 * Runs `self` (already restored to the caller's interruptibility) holding
 * `grants`, and releases them in its exit handler, however it ends. Called
 * inside an uninterruptible region, so the handler is in place before
 * `self` can be interrupted. The release is synchronous: a defect it throws
 * comes after the effect's own failure, as a finalizer's would.
 *
 * @internal
 */
export const holding = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  grants: ReadonlyArray<Waiter>
): Effect.Effect<A, E, R> =>
  Effect.onExitPrimitive(self, (exit) => {
    releaseGrants(grants, endingOf(exit))
    return undefined
  }, true)
