/**
 * Waiting on the wall clock. Leases expire in Redis in real time, whatever
 * clock the app's fibers see: a `TestClock` must not stop the renewals,
 * the reconnections or the deadlines of a `RedisLimiter`.
 *
 * @internal
 */
import * as Effect from "effect/Effect"

/** Sleeps `millis` of real time (a Node timer), interruptibly. */
export const realSleep = (millis: number): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    const timer = setTimeout(() => resume(Effect.void), millis)
    return Effect.sync(() => clearTimeout(timer))
  })
