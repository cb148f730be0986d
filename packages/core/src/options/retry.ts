/**
 * The checks of a limited HTTP client's retry policy, and its defaults. The
 * backoff and the cap on a delay are durations, decoded by each Effect line
 * (`finiteDurationExpected` in `duration.ts` says what they accept).
 */
import { type Checked, invalid, valid } from "./invalid.js"
import { orDefault } from "./orDefault.js"

/** The defaults of the retry policy; the durations as a line's duration input. */
export const retryDefaults = {
  times: 3,
  statuses: [429, 503],
  backoff: "200 millis",
  maxDelay: "30 seconds"
} as const

/** A retry policy is an object of its options. */
export const checkRetryObject = (field: string, retry: unknown): Checked<{ readonly [key: string]: unknown }> =>
  typeof retry === "object" && retry !== null
    ? valid(retry as { readonly [key: string]: unknown })
    : invalid(field, retry, "{ times?, statuses?, backoff?, maxDelay?, nonIdempotent? }")

/** How many times to retry; absent: 3. */
export const checkRetryTimes = (field: string, value: unknown): Checked<number> => {
  const times = orDefault(value, retryDefaults.times)
  return typeof times === "number" && Number.isSafeInteger(times) && times >= 0
    ? valid(times)
    : invalid(field, times, "a non-negative safe integer")
}

/** The statuses that are retried: a non-empty list of HTTP error statuses; absent: 429 and 503. */
export const checkRetryStatuses = (field: string, value: unknown): Checked<ReadonlySet<number>> => {
  const statuses = orDefault(value, retryDefaults.statuses)
  if (!Array.isArray(statuses) || statuses.length === 0) {
    return invalid(field, statuses, "a non-empty list of HTTP error statuses (400-599)")
  }
  // An index loop: a hole in a sparse list is an entry too.
  for (let i = 0; i < statuses.length; i++) {
    const status: unknown = statuses[i]
    if (typeof status !== "number" || !Number.isInteger(status) || status < 400 || status > 599) {
      return invalid(`${field}[${i}]`, status, "an HTTP error status (400-599)")
    }
  }
  return valid(new Set(statuses as ReadonlyArray<number>))
}

/** Whether requests that are not idempotent are retried too; absent: no. */
export const checkNonIdempotent = (field: string, value: unknown): Checked<boolean> => {
  const nonIdempotent = orDefault(value, false)
  return typeof nonIdempotent === "boolean" ? valid(nonIdempotent) : invalid(field, nonIdempotent, "a boolean")
}
