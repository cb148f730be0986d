/**
 * The core's refusals of an option, as this line's `LimiterConfigError`,
 * with its values rendered as this line shows them (a `Duration` by its
 * `Duration.format`).
 *
 * @internal
 */
import type { Invalid } from "@effect-concurrency-limiter/core/options/invalid"
import { rethrowInvalidAs } from "@effect-concurrency-limiter/core/options/invalid"
import { renderValueWith } from "@effect-concurrency-limiter/core/options/render"
import * as Duration from "effect/Duration"
import { LimiterConfigError } from "../LimiterConfigError.js"

/** Renders a bad value so that the error shows exactly what was given. */
export const renderValue: (value: unknown) => string = renderValueWith((value) =>
  Duration.isDuration(value) ? Duration.format(value) : undefined
)

/** The core's refusal as a `LimiterConfigError`. */
export const toConfigError = ({ expected, field, value }: Invalid): LimiterConfigError =>
  new LimiterConfigError({ field, value: renderValue(value), expected })

/**
 * Runs a constructor that checks its options in code (a `Limit`'s), turning
 * the core's `InvalidOptionError` into the `LimiterConfigError` it documents.
 */
export const rethrowInvalid = <A>(make: () => A): A => rethrowInvalidAs(make, toConfigError)
