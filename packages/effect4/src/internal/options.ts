/**
 * The option checks of the shared core as this line needs them: verdicts as
 * `Result<A, LimiterConfigError>`, options that may be `Config`s read,
 * durations decoded into Effect 4 `Duration`s.
 *
 * @internal
 */
import { checkDurationInput, type DurationInput, durationExpected } from "@effect-concurrency-limiter/core/options/duration"
import type { Checked } from "@effect-concurrency-limiter/core/options/invalid"
import { checkPartitions } from "@effect-concurrency-limiter/core/options/partitions"
import { checkBoolean } from "@effect-concurrency-limiter/core/options/primitives"
import { checkCapacity, checkMaxWaiting, checkOrder } from "@effect-concurrency-limiter/core/options/resource"
import { anyName, checkResourceList } from "@effect-concurrency-limiter/core/options/resources"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import type { LimiterConfigError } from "../LimiterConfigError.js"
import * as Resource from "../Resource.js"
import { renderValue, toConfigError } from "./invalidOption.js"

export { renderValue }
export { orDefault } from "@effect-concurrency-limiter/core/options/orDefault"
export { resourceField } from "@effect-concurrency-limiter/core/options/resources"

/** A core check's verdict as a `Result`. */
export const fromChecked = <A>(checked: Checked<A>): Result.Result<A, LimiterConfigError> =>
  checked.ok ? Result.succeed(checked.value) : Result.fail(toConfigError(checked.invalid))

/** Refuses an option in a layer's construction. */
export const refuse = (field: string, value: unknown, expected: string): Effect.Effect<never, LimiterConfigError> =>
  Effect.fail(toConfigError({ field, value, expected }))

/** An option's value, read from its `Config` when it is one; checked by the caller either way. */
export const resolveUnknown = (value: unknown): Effect.Effect<unknown, Config.ConfigError> =>
  Config.isConfig(value) ? value : Effect.succeed(value)

/**
 * A limiter's resources: a non-empty list of resources made by
 * `Resource.make`, each name valid and listed once. Gives each resource's
 * rank, its index in the list: the order resources are acquired in.
 */
export const validateResourceList = (value: unknown): Result.Result<Map<string, number>, LimiterConfigError> =>
  fromChecked(checkResourceList(value, Resource.isResource, anyName))

/** Capacity must be a whole number of permits, at least one. */
export const validateCapacity = (field: string, value: unknown): Result.Result<number, LimiterConfigError> =>
  fromChecked(checkCapacity(field, value))

/** The `Duration` a checked input stands for. */
const decode = (input: DurationInput): Duration.Duration => {
  switch (input._tag) {
    case "Millis":
      return Duration.millis(input.millis)
    case "Nanos":
      return Duration.nanos(input.nanos)
    case "Hrtime":
      return Duration.fromInputUnsafe([input.seconds, input.nanos])
    case "Text":
      // The digits as written; too many for a double are still "longer
      // than anything", as a number would be.
      return Number.isFinite(Number(input.amount))
        ? Duration.fromInputUnsafe(`${input.amount} ${input.unit}` as Duration.Input)
        : Duration.infinity
  }
}

const DURATION_FIELDS = ["weeks", "days", "hours", "minutes", "seconds", "milliseconds", "microseconds", "nanoseconds"]

/** An Effect 4 `DurationObject` (`{ seconds: 2 }`) whose every part is a non-negative finite number. */
const isDurationObject = (value: unknown): value is Duration.Input => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false
  const entries = Object.entries(value)
  return entries.length > 0 && entries.every(([key, part]) =>
    DURATION_FIELDS.includes(key) &&
    (part === undefined || (typeof part === "number" && Number.isFinite(part) && part >= 0))
  )
}

/**
 * A `Duration`, or a non-negative duration as data. The core checks data
 * first (decoding quietly turns a negative or NaN input into zero or less,
 * which would turn a typo into "reject everything"); the inputs only Effect
 * 4 knows (`"Infinity"`, `{ seconds: 2 }`) are checked here.
 */
export const validateTimeout = (field: string, value: unknown): Result.Result<Duration.Duration, LimiterConfigError> => {
  if (Duration.isDuration(value)) {
    // Effect 4's durations may be negative.
    return Duration.isNegative(value)
      ? Result.fail(toConfigError({ field, value, expected: durationExpected }))
      : Result.succeed(value)
  }
  if (value === "Infinity") return Result.succeed(Duration.infinity)
  if (isDurationObject(value)) return Result.succeed(Duration.fromInputUnsafe(value))
  return Result.map(fromChecked(checkDurationInput(field, value)), decode)
}

/** A queue bound is a whole number of waiters; `Infinity` is no bound. */
export const validateMaxWaiting = (field: string, value: unknown): Result.Result<number, LimiterConfigError> =>
  fromChecked(checkMaxWaiting(field, value))

/** The queue orders there are. */
export const validateOrder = (field: string, value: unknown): Result.Result<"fifo" | "lifo", LimiterConfigError> =>
  fromChecked(checkOrder(field, value))

/** Partitions are named shares of the capacity (see the core's `checkPartitions`). */
export const validatePartitions = (
  field: string,
  value: unknown
): Result.Result<ReadonlyArray<readonly [string, number]>, LimiterConfigError> =>
  fromChecked(checkPartitions(field, value))

/** A switch: `"false"` from a `Config.String` would otherwise read as on. */
export const validateBoolean = (field: string, value: unknown): Result.Result<boolean, LimiterConfigError> =>
  fromChecked(checkBoolean(field, value))
