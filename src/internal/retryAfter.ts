/**
 * `Retry-After` parsing as this line's `Option<Duration>`: the core parses,
 * in millis.
 *
 * @internal
 */
import { parseRetryAfterMillis } from "@effect-concurrency-limiter/core/retryAfter"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"

/** @internal */
export const parseRetryAfter = (
  value: string | undefined,
  options: { readonly now: number; readonly max: Duration.DurationInput }
): Option.Option<Duration.Duration> => {
  const max = Duration.decode(options.max)
  const millis = parseRetryAfterMillis(value, { now: options.now, maxMillis: Duration.toMillis(max) })
  if (millis === undefined) return Option.none()
  // The cap itself when it applies: `max` exactly, not its millis (a
  // `Duration` in nanos keeps its precision).
  return Option.some(Duration.lessThan(Duration.millis(millis), max) ? Duration.millis(millis) : max)
}
