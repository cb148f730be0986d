/**
 * The parsing of an HTTP `Retry-After` header (RFC 9110 §10.2.3): how long
 * the server asks the client to wait, in millis, capped. Each Effect line
 * wraps the answer as its `Option<Duration>`.
 */

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

/**
 * The wait a `Retry-After` value asks for, in millis, at most `maxMillis`
 * (which may be `Infinity`): delay-seconds, or an HTTP-date measured from
 * `now` (epoch millis; a date past is no wait). `undefined` when the header
 * is absent or malformed.
 */
export const parseRetryAfterMillis = (
  value: string | undefined,
  options: { readonly now: number; readonly maxMillis: number }
): number | undefined => {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (DELAY_SECONDS.test(trimmed)) {
    // A run of digits too long for a double is still "very long": the cap applies.
    return Math.min(Number(trimmed) * 1000, options.maxMillis)
  }
  const date = parseHttpDate(trimmed)
  if (date === undefined) return undefined
  return Math.min(Math.max(0, date - options.now), options.maxMillis)
}
