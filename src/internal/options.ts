import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { LimiterConfigError } from "../LimiterConfigError.js"
import * as Resource from "../Resource.js"
import { renderValue } from "./invalidOption.js"

export { renderValue }
export { orDefault } from "@effect-concurrency-limiter/core/options/orDefault"

const invalid = (field: string, value: unknown, expected: string) =>
  Either.left(new LimiterConfigError({ field, value: renderValue(value), expected }))

/** Refuses an option in a layer's construction. */
export const refuse = (field: string, value: unknown, expected: string): Effect.Effect<never, LimiterConfigError> =>
  Effect.fail(new LimiterConfigError({ field, value: renderValue(value), expected }))

/** An option's value, read from its `Config` when it is one; checked by the caller either way. */
export const resolveUnknown = (value: unknown): Effect.Effect<unknown, ConfigError.ConfigError> =>
  Config.isConfig(value) ? value : Effect.succeed(value)

/** A check's verdict as an effect. */
export const fromEither = <A>(either: Either.Either<A, LimiterConfigError>): Effect.Effect<A, LimiterConfigError> =>
  Either.isRight(either) ? Effect.succeed(either.right) : Effect.fail(either.left)

/** The field of a resource's option, named with the resource: `resources[0].capacity (resource "Db")`. */
export const resourceField = (resources: ReadonlyArray<Resource.Resource.Any>, i: number, option: string): string =>
  `resources[${i}].${option} (resource "${resources[i].name}")`

/** What a limiter accepts as a resource's name. */
export interface NameRule {
  readonly valid: (name: string) => boolean
  readonly expected: string
}

const anyName: NameRule = { valid: (name) => name.length > 0, expected: "a non-empty string" }

/**
 * A limiter's resources: a non-empty list of resources made by
 * `Resource.make`, each name valid and listed once. Gives each resource's
 * rank, its index in the list: the order resources are acquired in.
 */
export const validateResourceList = (
  value: unknown,
  name: NameRule = anyName
): Either.Either<Map<string, number>, LimiterConfigError> => {
  if (!Array.isArray(value) || value.length === 0) return invalid("resources", value, "a non-empty list of resources")
  const rank = new Map<string, number>()
  // An index loop: a hole in a sparse list is an entry too.
  for (let i = 0; i < value.length; i++) {
    const resource: unknown = value[i]
    if (!Resource.isResource(resource)) return invalid(`resources[${i}]`, resource, "a resource made by Resource.make")
    if (typeof resource.name !== "string" || !name.valid(resource.name)) {
      return invalid(`resources[${i}].name`, resource.name, name.expected)
    }
    const listed = rank.get(resource.key)
    if (listed !== undefined) {
      return invalid(`resources[${i}].name`, resource.name, `a name not already listed (resources[${listed}])`)
    }
    rank.set(resource.key, i)
  }
  return Either.right(rank)
}

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
  // Indexed, not `every`: `every` skips the holes of a sparse `[, ,]`.
  if (Array.isArray(value) && value.length === 2 && [value[0], value[1]].every((n) => typeof n === "number" && isNonNegative(n))) {
    // `Duration.decode` converts seconds × 1e9 to a BigInt, which throws once it overflows to Infinity.
    return Either.right(
      Number.isFinite(value[0] * 1e9)
        ? Duration.decode(value as unknown as readonly [number, number])
        : Duration.millis(value[0] * 1000 + value[1] / 1e6)
    )
  }
  if (typeof value === "string") {
    const match = DURATION_STRING.exec(value.trim())
    const amount = match === null ? NaN : Number(match[1])
    if (match !== null && amount >= 0) {
      // The digits as written: `String(Number(...))` turns 1e21 and 1e-7 into
      // exponents `Duration.decode` throws on; too many digits for a double
      // are still "longer than anything", as a number would be.
      return Either.right(
        Number.isFinite(amount) ? Duration.decode(`${match[1]} ${match[2]}` as Duration.DurationInput) : Duration.infinity
      )
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

/** A switch: `"false"` from a `Config.string` would otherwise read as on. */
export const validateBoolean = (field: string, value: unknown): Either.Either<boolean, LimiterConfigError> =>
  typeof value === "boolean" ? Either.right(value) : invalid(field, value, "a boolean")

/**
 * A limiter's name, the `limiter` label of its metric series: any
 * non-empty string (a Prometheus label value may hold any character).
 */
export const validateName = (field: string, value: unknown): Either.Either<string, LimiterConfigError> =>
  typeof value === "string" && value.length > 0 ? Either.right(value) : invalid(field, value, "a non-empty string")
