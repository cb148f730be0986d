/**
 * Defects of user code that the limiter isolates: a custom `Limit`, or a
 * `Tuning` function, that throws inside the semaphore's bookkeeping. The
 * limiter's own accounting has already been done when one is reported, so
 * the report only has to reach the app's logger — without flooding it when
 * the same broken callback runs on every request.
 *
 * @internal
 */
import { throttledReporter } from "@effect-concurrency-limiter/core/throttledReport"
import * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"

/**
 * A reporter that logs the first defect at once, then at most one every
 * `everyMillis`, counting the ones it left out in between (the core's
 * `throttledReporter`, on this line's clock and logger). It never throws.
 *
 * @internal
 */
export const defectReporter = (
  run: (effect: Effect.Effect<void>) => unknown,
  clock: Clock.Clock,
  message: string,
  everyMillis = 10_000
): (defect: unknown) => void =>
  throttledReporter(
    () => clock.unsafeCurrentTimeMillis(),
    (text, defect) => run(Effect.logError(text, Cause.die(defect))),
    message,
    everyMillis
  )
