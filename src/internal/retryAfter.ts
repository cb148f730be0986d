import * as Duration from "effect/Duration"
import * as Option from "effect/Option"

/** RFC 9110 §10.2.3: `Retry-After = HTTP-date / delay-seconds`, delay-seconds = 1*DIGIT. */
const DELAY_SECONDS = /^\d+$/

/**
 * The three forms of HTTP-date a recipient must accept (RFC 9110 §5.6.7):
 * IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, the obsolete RFC 850 form
 * `Sunday, 06-Nov-94 08:49:37 GMT` and asctime `Sun Nov  6 08:49:37 1994`.
 * `Date.parse` alone would also take "2024" or "1 2 3" as dates.
 */
const IMF_FIXDATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/
const RFC_850 = /^[A-Z][a-z]+, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT$/
const ASCTIME = /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/

const parseHttpDate = (value: string): number | undefined => {
  if (IMF_FIXDATE.test(value) || RFC_850.test(value)) {
    const millis = Date.parse(value)
    return Number.isNaN(millis) ? undefined : millis
  }
  if (ASCTIME.test(value)) {
    // asctime carries no zone: it is GMT by definition, not local time.
    const millis = Date.parse(`${value} GMT`)
    return Number.isNaN(millis) ? undefined : millis
  }
  return undefined
}

/** @internal */
export const parseRetryAfter = (
  value: string | undefined,
  options: { readonly now: number; readonly max: Duration.DurationInput }
): Option.Option<Duration.Duration> => {
  if (value === undefined) return Option.none()
  const trimmed = value.trim()
  const max = Duration.decode(options.max)
  if (DELAY_SECONDS.test(trimmed)) {
    // A run of digits too long for a double is still "very long": the cap applies.
    return Option.some(Duration.min(Duration.seconds(Number(trimmed)), max))
  }
  const date = parseHttpDate(trimmed)
  if (date === undefined) return Option.none()
  return Option.some(Duration.min(Duration.millis(Math.max(0, date - options.now)), max))
}
