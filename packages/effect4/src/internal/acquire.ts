/**
 * The scoped acquisition behind `Limiter.acquire`: a guard's permits, taken
 * exactly as `Limiter.withResources` takes them (its plan, fast path,
 * deadline and refusals, from ./limiter.ts), but handed to a `Scope`
 * instead of to one effect's exit. Closing the scope releases them with the
 * ending its exit says, so adaptive limits learn from scoped work as from
 * guarded effects.
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Scope from "effect/Scope"
import type { BusyError } from "../BusyError.js"
import type * as Limiter from "../Limiter.js"
import { takeGrants } from "./guard.js"
import { LimiterTag } from "./limiter.js"
import { checkOptions, planCache } from "./plan.js"
import { holdRemotely } from "./remote.js"
import { endingOf, releaseGrants, type Waiter } from "./semaphore.js"

/** Hands `grants` to `scope`: closing it releases them, ended as the scope's exit says. */
const releaseOnClose = (scope: Scope.Scope, grants: ReadonlyArray<Waiter>): Effect.Effect<void> =>
  Scope.addFinalizerExit(scope, (exit) => Effect.sync(() => releaseGrants(grants, endingOf(exit))))

/**
 * The scoped form of a guard: takes the permits as `guard` does (same
 * plan, fast path, deadline and refusals) and hands them to the `Scope` in
 * context instead of to an effect's exit.
 *
 * @internal
 */
export const acquire = (
  resources: Limiter.NonEmptyResources,
  options?: Limiter.WithResourcesOptions
): Effect.Effect<void, BusyError, LimiterTag | Scope.Scope> => {
  const { partition, timeoutOption } = checkOptions(resources, options, "Limiter.acquire")
  const planOf = planCache(resources, partition, "Limiter.acquire")
  return Effect.contextWith((context: Context.Context<LimiterTag | Scope.Scope>) => {
    const limiter = Context.get(context, LimiterTag)
    if (!limiter.enabled) return Effect.void
    const plan = planOf(limiter, context as Context.Context<unknown>)
    const scope = Context.get(context, Scope.Scope)
    const remote = plan.internals.remote
    if (remote !== undefined) return holdRemotely(remote, plan.ordered, timeoutOption ?? limiter.timeout, scope)
    return Effect.uninterruptibleMask((restore) =>
      takeGrants(plan, restore, timeoutOption ?? limiter.timeout, (grants) => releaseOnClose(scope, grants))
    )
  })
}
