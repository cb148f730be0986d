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
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Scope from "effect/Scope"
import type { BusyError } from "../BusyError.js"
import type * as Limiter from "../Limiter.js"
import type * as Resource from "../Resource.js"
import { checkOptions, LimiterTag, planCache, type RemoteBackend, takeGrants } from "./limiter.js"
import { type Ending, releaseGrants, type Waiter } from "./semaphore.js"

/** How a scope's exit ends the grants it held, as `holding` ends a guard's. */
const endingOf = (exit: Exit.Exit<unknown, unknown>): Ending =>
  Exit.isSuccess(exit) ? "success" : Cause.isInterruptedOnly(exit.cause) ? "interrupted" : "failure"

/** Hands `grants` to `scope`: closing it releases them, ended as the scope's exit says. */
const releaseOnClose = (scope: Scope.Scope, grants: ReadonlyArray<Waiter>): Effect.Effect<void> =>
  Scope.addFinalizerExit(scope, (exit) => Effect.sync(() => releaseGrants(grants, endingOf(exit))))

/**
 * A remote limiter only runs whole effects under its permits: a fiber
 * forked into `scope` holds them in a guard until the scope closes, and
 * ends that guard with the scope's exit. Interrupting the wait interrupts
 * that fiber, which gives up its place in the queue. A lease lost while
 * held ends the holder, not the scope's owner.
 */
const holdRemotely = (
  remote: RemoteBackend,
  ordered: ReadonlyArray<Resource.Resource.Any>,
  timeout: Duration.Duration,
  scope: Scope.Scope
): Effect.Effect<void, BusyError> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const held = yield* Deferred.make<void, BusyError>()
      const ended = yield* Deferred.make<void, unknown>()
      const guarded = remote.guard(Effect.zipRight(Deferred.succeed(held, undefined), Deferred.await(ended)), ordered, timeout)
      // Forked from this uninterruptible region, the holder would inherit it
      // and could not leave the queue when interrupted (the guard masks its
      // own critical steps).
      const holder = yield* Effect.interruptible(guarded)
        .pipe(
          // Before the grant the guard can only fail with its `BusyError` (or
          // die, or be interrupted); after it, `held` is done and this is a no-op.
          Effect.onExit((exit) =>
            Exit.isFailure(exit) ? Deferred.failCause(held, exit.cause as Cause.Cause<BusyError>) : Effect.void
          ),
          Effect.forkIn(scope)
        )
      // Added after the fork, so run before its interruption when the scope closes.
      yield* Scope.addFinalizerExit(scope, (exit) => Deferred.done(ended, Exit.asVoid(exit)))
      yield* restore(Deferred.await(held)).pipe(Effect.onInterrupt(() => Fiber.interrupt(holder)))
    })
  )

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
  return Effect.contextWithEffect((context: Context.Context<LimiterTag | Scope.Scope>) => {
    const limiter = Context.get(context, LimiterTag)
    if (!limiter.enabled) return Effect.void
    const plan = planOf(limiter, context as Context.Context<unknown>)
    const scope = Context.get(context, Scope.Scope)
    const timeout = timeoutOption ?? limiter.timeout
    const remote = plan.internals.remote
    if (remote !== undefined) return holdRemotely(remote, plan.ordered, timeout, scope)
    return Effect.uninterruptibleMask((restore) =>
      takeGrants(plan, restore, timeout, (grants) => releaseOnClose(scope, grants))
    )
  })
}
