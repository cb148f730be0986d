/**
 * How long the limited client waits before it sends a retried request
 * again: exponential backoff from `backoff`, jittered ×0.8–1.2 so that
 * clients turned away together do not come back together, capped at
 * `maxDelay`; a `Retry-After` the server sent replaces the backoff (capped
 * as well); at most `times` retries. Each Effect line draws the random
 * number and reads the clock from its own services and sleeps its own
 * `Duration`; the arithmetic is here, in millis.
 */
import { parseRetryAfterMillis } from "../retryAfter.js"

/** A checked retry policy's timing, in millis. */
export interface RetryTiming {
  readonly times: number
  readonly backoffMillis: number
  readonly maxDelayMillis: number
}

/** A checked retry policy's timing from its durations, read by a line's `toMillis`. */
export const retryTiming = <D>(
  retry: { readonly times: number; readonly backoff: D; readonly maxDelay: D },
  toMillis: (duration: D) => number
): RetryTiming => ({ times: retry.times, backoffMillis: toMillis(retry.backoff), maxDelayMillis: toMillis(retry.maxDelay) })

/**
 * The backoff before retry number `retries + 1`: `backoff × 2^retries`,
 * scaled between ×0.8 (`random` 0) and ×1.2 (`random` 1), then capped.
 */
export const backoffMillis = (timing: RetryTiming, retries: number, random: number): number => {
  const millis = timing.backoffMillis * Math.pow(2, retries)
  return Math.min(millis * 0.8 * (1 - random) + millis * 1.2 * random, timing.maxDelayMillis)
}

/**
 * The wait before the next try of an answer the policy retries, after
 * `retries` retries already made: the answer's `Retry-After` (read at
 * `now`, epoch millis) when it has a valid one, else the backoff.
 * `undefined` when the policy's `times` are spent. `random` is a draw in
 * [0, 1).
 */
export const retryDelayMillis = (
  timing: RetryTiming,
  answer: {
    readonly retries: number
    readonly retryAfter: string | undefined
    readonly now: number
    readonly random: number
  }
): number | undefined => {
  if (answer.retries >= timing.times) return undefined
  const retryAfter = parseRetryAfterMillis(answer.retryAfter, { now: answer.now, maxMillis: timing.maxDelayMillis })
  return retryAfter ?? backoffMillis(timing, answer.retries, answer.random)
}
