/**
 * Limiters whose permits are held outside this process (`RedisLimiter`):
 * `Limiter.withResources` and `Limiter.acquire` hand such a limiter the
 * whole acquisition and the holding, through the `RemoteBackend` it
 * registered on its service.
 *
 * @internal
 */
import type * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Scope from "effect/Scope"
import type { BusyError } from "../BusyError.js"
import type * as Limiter from "../Limiter.js"
import type * as Resource from "../Resource.js"
import type { BusyErrors } from "./busyErrors.js"
import { attachInternals } from "./plan.js"

/** @internal */
export interface RemoteBackend {
  readonly guard: <A, E, R>(
    self: Effect.Effect<A, E, R>,
    ordered: ReadonlyArray<Resource.Resource.Any>,
    timeout: Duration.Duration
  ) => Effect.Effect<A, E | BusyError, R>
}

/**
 * Makes `service` a limiter that `Limiter.withResources` and
 * `Limiter.acquire` guard through `backend`. It has no deadline timer: the
 * backend times its own waits.
 *
 * @internal
 */
export const registerRemote = (service: Limiter.Service, backend: RemoteBackend, busyErrors: BusyErrors): void =>
  attachInternals(service, { deadlines: undefined, busyErrors, remote: backend })

/**
 * `Limiter.acquire` on a remote limiter, which only runs whole effects under
 * its permits: a fiber forked into `scope` holds them in a guard until the
 * scope closes, and ends that guard with the scope's exit. Interrupting the
 * wait interrupts that fiber, which gives up its place in the queue. A lease
 * lost while held ends the holder, not the scope's owner.
 *
 * @internal
 */
export const holdRemotely = (
  remote: RemoteBackend,
  ordered: ReadonlyArray<Resource.Resource.Any>,
  timeout: Duration.Duration,
  scope: Scope.Scope
): Effect.Effect<void, BusyError> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const held = yield* Deferred.make<void, BusyError>()
      const ended = yield* Deferred.make<void, unknown>()
      const guarded = remote.guard(Effect.andThen(Deferred.succeed(held, undefined), Deferred.await(ended)), ordered, timeout)
      // Interruptible, so that it can leave the queue when interrupted (the
      // guard masks its own critical steps).
      const holder = yield* guarded.pipe(
        // Before the grant the guard can only fail with its `BusyError` (or
        // die, or be interrupted); after it, `held` is done and this is a no-op.
        Effect.onExit((exit) =>
          Exit.isFailure(exit) ? Deferred.failCause(held, exit.cause as Cause.Cause<BusyError>) : Effect.void
        ),
        Effect.forkIn(scope, { uninterruptible: false })
      )
      // Added after the fork, so run before its interruption when the scope closes.
      yield* Scope.addFinalizerExit(scope, (exit) => Deferred.done(ended, Exit.asVoid(exit)))
      yield* restore(Deferred.await(held)).pipe(Effect.onInterrupt(() => Fiber.interrupt(holder)))
    })
  )
