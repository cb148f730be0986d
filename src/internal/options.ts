/**
 * The option checks of the shared core as this line needs them: verdicts as
 * `Either<A, LimiterConfigError>`, options that may be `Config`s read,
 * durations decoded into `Duration`s.
 *
 * @internal
 */
import type { Checked } from "@effect-concurrency-limiter/core/options/invalid"
import { checkDurationInput, type DurationInput } from "@effect-concurrency-limiter/core/options/duration"
import { checkPartitions } from "@effect-concurrency-limiter/core/options/partitions"
import { checkBoolean, checkName } from "@effect-concurrency-limiter/core/options/primitives"
import { checkCapacity, checkMaxWaiting, checkOrder } from "@effect-concurrency-limiter/core/options/resource"
import { anyName, checkResourceList, type NameRule } from "@effect-concurrency-limiter/core/options/resources"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { LimiterConfigError } from "../LimiterConfigError.js"
import * as Resource from "../Resource.js"
import { renderValue, toConfigError } from "./invalidOption.js"

export { renderValue }
export { orDefault } from "@effect-concurrency-limiter/core/options/orDefault"
export { resourceField } from "@effect-concurrency-limiter/core/options/resources"
export type { NameRule }

/** A core check's verdict as an Either. */
export const fromChecked = <A>(checked: Checked<A>): Either.Either<A, LimiterConfigError> =>
  checked.ok ? Either.right(checked.value) : Either.left(toConfigError(checked.invalid))

/** Refuses an option in a layer's construction. */
export const refuse = (field: string, value: unknown, expected: string): Effect.Effect<never, LimiterConfigError> =>
  Effect.fail(toConfigError({ field, value, expected }))

/** An option's value, read from its `Config` when it is one; checked by the caller either way. */
export const resolveUnknown = (value: unknown): Effect.Effect<unknown, ConfigError.ConfigError> =>
  Config.isConfig(value) ? value : Effect.succeed(value)

/** A check's verdict as an effect. */
export const fromEither = <A>(either: Either.Either<A, LimiterConfigError>): Effect.Effect<A, LimiterConfigError> =>
  Either.isRight(either) ? Effect.succeed(either.right) : Effect.fail(either.left)

/**
 * A limiter's resources: a non-empty list of resources made by
 * `Resource.make`, each name valid and listed once. Gives each resource's
 * rank, its index in the list: the order resources are acquired in.
 */
export const validateResourceList = (
  value: unknown,
  name: NameRule = anyName
): Either.Either<Map<string, number>, LimiterConfigError> => fromChecked(checkResourceList(value, Resource.isResource, name))

/** Capacity must be a whole number of permits, at least one. */
export const validateCapacity = (field: string, value: unknown): Either.Either<number, LimiterConfigError> =>
  fromChecked(checkCapacity(field, value))

/** The `Duration` a checked input stands for. */
const decode = (input: DurationInput): Duration.Duration => {
  switch (input._tag) {
    case "Millis":
      return Duration.millis(input.millis)
    case "Nanos":
      return Duration.nanos(input.nanos)
    case "Hrtime":
      // `Duration.decode` converts seconds × 1e9 to a BigInt, which throws once it overflows to Infinity.
      return Number.isFinite(input.seconds * 1e9)
        ? Duration.decode([input.seconds, input.nanos])
        : Duration.millis(input.seconds * 1000 + input.nanos / 1e6)
    case "Text":
      // The digits as written: `String(Number(...))` turns 1e21 and 1e-7 into
      // exponents `Duration.decode` throws on; too many digits for a double
      // are still "longer than anything", as a number would be.
      return Number.isFinite(Number(input.amount))
        ? Duration.decode(`${input.amount} ${input.unit}` as Duration.DurationInput)
        : Duration.infinity
  }
}

/**
 * A `Duration`, or a non-negative duration as data (checked by the core
 * first: `Duration.decode` quietly turns negative and NaN inputs into zero,
 * which would turn a typo into "reject everything").
 */
export const validateTimeout = (field: string, value: unknown): Either.Either<Duration.Duration, LimiterConfigError> =>
  Duration.isDuration(value) ? Either.right(value) : Either.map(fromChecked(checkDurationInput(field, value)), decode)

/** A queue bound is a whole number of waiters; `Infinity` is no bound. */
export const validateMaxWaiting = (field: string, value: unknown): Either.Either<number, LimiterConfigError> =>
  fromChecked(checkMaxWaiting(field, value))

/** The queue orders there are. */
export const validateOrder = (field: string, value: unknown): Either.Either<"fifo" | "lifo", LimiterConfigError> =>
  fromChecked(checkOrder(field, value))

/** Partitions are named shares of the capacity (see the core's `checkPartitions`). */
export const validatePartitions = (
  field: string,
  value: unknown
): Either.Either<ReadonlyArray<readonly [string, number]>, LimiterConfigError> => fromChecked(checkPartitions(field, value))

/** A switch: `"false"` from a `Config.string` would otherwise read as on. */
export const validateBoolean = (field: string, value: unknown): Either.Either<boolean, LimiterConfigError> =>
  fromChecked(checkBoolean(field, value))

/** A limiter's name, the `limiter` label of its metric series: any non-empty string. */
export const validateName = (field: string, value: unknown): Either.Either<string, LimiterConfigError> =>
  fromChecked(checkName(field, value))
