/**
 * `Retry-After` parsing as this line's `Option<Duration>`: the core parses,
 * in millis, exactly as for the Effect 3 line.
 *
 * @internal
 */
import { parseRetryAfterMillis } from "@effect-concurrency-limiter/core/retryAfter"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"

/** @internal */
export const parseRetryAfter = (
  value: string | undefined,
  options: { readonly now: number; readonly max: Duration.Input }
): Option.Option<Duration.Duration> => {
  const max = Duration.fromInputUnsafe(options.max)
  const millis = parseRetryAfterMillis(value, { now: options.now, maxMillis: Duration.toMillis(max) })
  if (millis === undefined) return Option.none()
  // The cap itself when it applies: `max` exactly, not its millis (a
  // `Duration` in nanos keeps its precision).
  return Option.some(millis < Duration.toMillis(max) ? Duration.millis(millis) : max)
}
