/**
 * The check of a duration option given as plain data — a number of millis,
 * a bigint of nanos, a `[seconds, nanos]` pair or a string such as
 * `"2 seconds"` — before an Effect line decodes it into its `Duration`
 * (which would quietly turn a negative or NaN input into zero, making a
 * typo "reject everything"). A line's own `Duration` values are its to
 * accept before calling this.
 */
import { type Checked, invalid, valid } from "./invalid.js"

/** A duration as given, checked non-negative: what each line decodes. */
export type DurationInput =
  | { readonly _tag: "Millis"; readonly millis: number }
  | { readonly _tag: "Nanos"; readonly nanos: bigint }
  | { readonly _tag: "Hrtime"; readonly seconds: number; readonly nanos: number }
  /** `amount` as written (`"1e21"` stays text, not an exponent), non-negative; `unit` one of Effect's. */
  | { readonly _tag: "Text"; readonly amount: string; readonly unit: string }

/** What a duration option accepts, as the errors say. */
export const durationExpected = "a non-negative duration, such as \"2 seconds\" or 2000 (millis)"

/** What a finite duration option accepts: positive (a rate's interval) or not (a delay's cap). */
export const finiteDurationExpected = (positive: boolean): string =>
  positive
    ? "a positive finite duration, such as \"1 second\" or 1000 (millis)"
    : "a non-negative finite duration, such as \"30 seconds\" or 30000 (millis)"

const DURATION_STRING = /^(-?\d+(?:\.\d+)?)\s+(nanos?|micros?|millis?|seconds?|minutes?|hours?|days?|weeks?)$/

const isNonNegative = (n: number) => !Number.isNaN(n) && n >= 0

/** A non-negative duration given as data (`Infinity` millis included), or refused. */
export const checkDurationInput = (field: string, value: unknown): Checked<DurationInput> => {
  if (typeof value === "number") return isNonNegative(value) ? valid({ _tag: "Millis", millis: value }) : invalid(field, value, durationExpected)
  if (typeof value === "bigint") return value >= 0n ? valid({ _tag: "Nanos", nanos: value }) : invalid(field, value, durationExpected)
  // Indexed, not `every`: `every` skips the holes of a sparse `[, ,]`.
  if (Array.isArray(value) && value.length === 2 && [value[0], value[1]].every((n) => typeof n === "number" && isNonNegative(n))) {
    return valid({ _tag: "Hrtime", seconds: value[0], nanos: value[1] })
  }
  if (typeof value === "string") {
    const match = DURATION_STRING.exec(value.trim())
    if (match !== null && Number(match[1]) >= 0) return valid({ _tag: "Text", amount: match[1], unit: match[2] })
  }
  return invalid(field, value, durationExpected)
}
