import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import { LimiterConfigError } from "../LimiterConfigError.js"

/** Renders a bad value so that the error shows exactly what was given. */
export const renderValue = (value: unknown): string => {
  if (typeof value === "string") return JSON.stringify(value)
  if (typeof value === "bigint") return `${value}n`
  if (Array.isArray(value)) return `[${value.map(renderValue).join(", ")}]`
  if (Duration.isDuration(value)) return Duration.format(value)
  if (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value)
    return entries.length === 0 ? "{}" : `{ ${entries.map(([k, v]) => `${k}: ${renderValue(v)}`).join(", ")} }`
  }
  return String(value)
}

const invalid = (field: string, value: unknown, expected: string) =>
  Either.left(new LimiterConfigError({ field, value: renderValue(value), expected }))

/** Capacity must be a whole number of permits, at least one. */
export const validateCapacity = (field: string, value: unknown): Either.Either<number, LimiterConfigError> =>
  typeof value === "number" && Number.isSafeInteger(value) && value > 0
    ? Either.right(value)
    : invalid(field, value, "a positive safe integer")

const DURATION_STRING = /^(-?\d+(?:\.\d+)?)\s+(nanos?|micros?|millis?|seconds?|minutes?|hours?|days?|weeks?)$/

const isNonNegative = (n: number) => !Number.isNaN(n) && n >= 0

/**
 * `Duration.decode` quietly turns negative and NaN inputs into zero, which
 * would turn a typo into "reject everything": check the raw input first.
 */
export const validateTimeout = (field: string, value: unknown): Either.Either<Duration.Duration, LimiterConfigError> => {
  const expected = "a non-negative duration, such as \"2 seconds\" or 2000 (millis)"
  if (Duration.isDuration(value)) return Either.right(value)
  if (typeof value === "number") return isNonNegative(value) ? Either.right(Duration.millis(value)) : invalid(field, value, expected)
  if (typeof value === "bigint") return value >= 0n ? Either.right(Duration.nanos(value)) : invalid(field, value, expected)
  if (Array.isArray(value) && value.length === 2 && value.every((n) => typeof n === "number" && isNonNegative(n))) {
    return Either.right(Duration.decode(value as unknown as readonly [number, number]))
  }
  if (typeof value === "string") {
    const match = DURATION_STRING.exec(value.trim())
    if (match !== null && Number(match[1]) >= 0) {
      return Either.right(Duration.decode(`${Number(match[1])} ${match[2]}` as Duration.DurationInput))
    }
  }
  return invalid(field, value, expected)
}

/** A queue bound is a whole number of waiters; `Infinity` is no bound. */
export const validateMaxWaiting = (field: string, value: unknown): Either.Either<number, LimiterConfigError> =>
  value === Infinity || (typeof value === "number" && Number.isSafeInteger(value) && value >= 0)
    ? Either.right(value as number)
    : invalid(field, value, "a non-negative safe integer (0: never queue), or Infinity for no bound")

/** The queue orders there are. */
export const validateOrder = (field: string, value: unknown): Either.Either<"fifo" | "lifo", LimiterConfigError> =>
  value === "fifo" || value === "lifo" ? Either.right(value) : invalid(field, value, "\"fifo\" or \"lifo\"")

/**
 * Partitions are named shares of the capacity: at least one, each a number
 * in (0, 1], adding up to at most 1 (a float tolerance lets 0.1 + 0.2 + 0.7
 * through).
 */
export const validatePartitions = (
  field: string,
  value: unknown
): Either.Either<ReadonlyArray<readonly [string, number]>, LimiterConfigError> => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return invalid(field, value, "an object of partition names to shares, e.g. { interactive: 0.8, batch: 0.2 }")
  }
  const entries = Object.entries(value)
  if (entries.length === 0) return invalid(field, value, "at least one partition")
  for (const [name, share] of entries) {
    if (name.length === 0) return invalid(`${field}[""]`, share, "a non-empty partition name")
    if (typeof share !== "number" || !(share > 0 && share <= 1)) {
      return invalid(`${field}.${name}`, share, "a share in (0, 1]")
    }
  }
  const total = entries.reduce((sum, [, share]) => sum + (share as number), 0)
  if (total > 1 + 1e-9) {
    return invalid(field, value, `shares adding up to at most 1 (these add up to ${total})`)
  }
  return Either.right(entries as ReadonlyArray<readonly [string, number]>)
}
