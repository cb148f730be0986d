/**
 * Helpers of the limiter's tests: its usage per resource, a guard held
 * open, and the check of a refusal.
 */
import { BusyError, Limiter } from "@effect-concurrency-limiter/effect4"
import { assert } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"

/** Every resource's stats, in the limiter's order. */
export const stats = Effect.flatMap(Limiter.Limiter, (limiter) => limiter.stats)

/** Permits in use and queue length per resource, e.g. `{ Db: [1, 0], Fs: [0, 0] }`. */
export const usage = Effect.map(stats, (all) => Object.fromEntries(all.map((s) => [s.resource, [s.inUse, s.waiting]])))

/** Forks a guarded effect that holds its permits until the returned gate opens. */
export const hold = <const Rs extends Limiter.NonEmptyResources>(
  resources: Rs & Limiter.Distinct<Rs>,
  options?: Limiter.WithResourcesOptions
) =>
  Effect.gen(function*() {
    const gate = yield* Deferred.make<void>()
    const entered = yield* Deferred.make<void>()
    const fiber = yield* Deferred.succeed(entered, undefined).pipe(
      Effect.andThen(Deferred.await(gate)),
      Limiter.withResources<Rs>(resources, ...[options] as Limiter.GuardOptions<Rs>),
      Effect.forkChild
    )
    return { fiber, gate, entered } as const
  })

/** The `BusyError` an exit failed with, checked to name `resource` and to have waited `waited`. */
export const assertBusy = (
  exit: Exit.Exit<unknown, unknown>,
  resource: string,
  waited: Duration.Duration,
  reason: BusyError.Reason = "timeout"
): BusyError.BusyError => {
  assert.isTrue(Exit.isFailure(exit), "expected a failure")
  const error = Cause.squash((exit as Exit.Failure<unknown, unknown>).cause)
  assert.instanceOf(error, BusyError.BusyError)
  const busy = error as BusyError.BusyError
  assert.strictEqual(busy.resource, resource)
  assert.strictEqual(busy.reason, reason)
  assert.isTrue(Duration.equals(busy.waited, waited), `waited ${Duration.format(busy.waited)}, expected ${Duration.format(waited)}`)
  return busy
}
