/**
 * The guard: takes one permit of each of its resources in canonical order
 * under one deadline (a fast path when all are free), and runs the effect
 * holding them, releasing them however it ends.
 *
 * @internal
 */
import { currentLimits } from "@effect-concurrency-limiter/core/limiter/plan"
import { tryHoldEach } from "@effect-concurrency-limiter/core/semaphore/grants"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { BusyError } from "../BusyError.js"
import type * as Limiter from "../Limiter.js"
import { LimiterTag } from "./limiter.js"
import { checkOptions, type Plan, planCache } from "./plan.js"
import { holding, QueueFull, type Restore, releaseGrants, type Waiter } from "./semaphore.js"

/**
 * Runs `self` after recording, on the current span, the limit of each of the
 * plan's adaptive resources when the call got its permits (an attribute
 * such as `limiter.Db.limit`): a trace then shows the limit a slow call ran
 * under. Resources with a fixed capacity add nothing.
 */
const withLimits = <A, E, R>(plan: Plan, self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
  const limits = currentLimits(plan.adaptive)
  return limits === undefined ? self : Effect.andThen(Effect.annotateCurrentSpan(limits), self)
}

/**
 * Waits, in canonical order, for one permit of each of `semaphores` from
 * `grants.length` on, adding each grant to `grants`, until the deadline. On
 * a failure (the deadline, a full queue, or an interruption of the wait)
 * every grant taken so far, the fast path's included, is released before
 * the failure goes on.
 *
 * The deadline lives inside the semaphore's wait: a waiter registers it with
 * the limiter's `Deadlines` (one timer fiber for all waiters) instead of
 * racing its wait against a sleep, which would fork fibers per waiter.
 */
const waitFrom = (
  { internals, ordered, queues, semaphores }: Plan,
  grants: Array<Waiter>,
  restore: Restore,
  timeout: Duration.Duration
): Effect.Effect<void, BusyError> => {
  const deadlines = Duration.isFinite(timeout) ? internals.deadlines : undefined
  const deadline = deadlines === undefined ? Infinity : deadlines.now() + Duration.toMillis(timeout)
  const from = (i: number): Effect.Effect<void, BusyError> =>
    i === semaphores.length ? Effect.void : Effect.matchCauseEffect(
      semaphores[i].acquireUntil(1, queues[i], restore, deadlines, deadline),
      {
        onFailure: (cause) => {
          // The grants taken so far were never used: nothing to learn from them.
          releaseGrants(grants, "interrupted")
          const failure = cause.reasons.length === 1 ? cause.reasons[0] : undefined
          if (failure === undefined || !Cause.isFailReason(failure)) {
            return Effect.failCause(cause as Cause.Cause<never>)
          }
          const reason = failure.error === QueueFull ? "queue-full" : "timeout"
          return Effect.fail(internals.busyErrors.get(ordered[i].name, reason, timeout))
        },
        onSuccess: (grant) => {
          grant.hold()
          grants.push(grant)
          return from(i + 1)
        }
      }
    )
  return from(grants.length)
}

/**
 * Takes one permit of each of the plan's resources and hands the grants to
 * `use`, all in the caller's uninterruptible region, so that whoever holds
 * them (a guard's exit handler, a scope's finalizer) is in place before
 * anything can interrupt. Fast path: every resource free and nobody queued —
 * taking and handing over happen in one step and no deadline is set up, so
 * the common case costs a few synchronous checks. Otherwise the rest are
 * waited for under `timeout` (see `waitFrom`).
 *
 * @internal
 */
export const takeGrants = <A, E, R>(
  plan: Plan,
  restore: Restore,
  timeout: Duration.Duration,
  use: (grants: ReadonlyArray<Waiter>) => Effect.Effect<A, E, R>
): Effect.Effect<A, E | BusyError, R> => {
  const { queues, semaphores } = plan
  const grants: Array<Waiter> = []
  if (tryHoldEach(semaphores, queues, grants)) return use(grants)
  return Effect.andThen(waitFrom(plan, grants, restore, timeout), Effect.suspend(() => use(grants)))
}

const guard = (resources: Limiter.NonEmptyResources, options?: Limiter.WithResourcesOptions) => {
  const { partition, timeoutOption } = checkOptions(resources, options, "Limiter.withResources")
  const planOf = planCache(resources, partition, "Limiter.withResources")
  return <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | BusyError, R | LimiterTag> =>
    Effect.contextWith((context: Context.Context<LimiterTag>) => {
      const limiter = Context.get(context, LimiterTag)
      if (!limiter.enabled) return self
      const plan = planOf(limiter, context as Context.Context<unknown>)
      const remote = plan.internals.remote
      if (remote !== undefined) return remote.guard(self, plan.ordered, timeoutOption ?? limiter.timeout)
      return Effect.uninterruptibleMask((restore) =>
        takeGrants(plan, restore, timeoutOption ?? limiter.timeout, (grants) =>
          holding(withLimits(plan, restore(self)), grants))
      )
    })
}

/**
 * Data-first and data-last like `dual`, but the data-last form checks its
 * options when called, not when applied.
 *
 * @internal
 */
export function withResources(this: unknown, ...args: ReadonlyArray<any>): any {
  return Effect.isEffect(args[0]) ? guard(args[1], args[2])(args[0]) : guard(args[0], args[1])
}
