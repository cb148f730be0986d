/**
 * The checks of a limited HTTP client's rate: how many requests per
 * interval, and the algorithm that spaces them. The interval is a duration,
 * decoded by each Effect line.
 */
import { type Checked, invalid, valid } from "./invalid.js"
import { orDefault } from "./orDefault.js"

/** The rate algorithms there are. */
export type RateAlgorithm = "token-bucket" | "fixed-window"

/** A rate is an object `{ limit, interval, algorithm? }`. */
export const checkRateObject = (field: string, rate: unknown): Checked<{ readonly [key: string]: unknown }> =>
  typeof rate === "object" && rate !== null ? valid(rate as { readonly [key: string]: unknown }) : invalid(field, rate, "{ limit, interval, algorithm? }")

/** A rate's limit: a whole number of requests, at least one. */
export const checkRateLimit = (field: string, value: unknown): Checked<number> =>
  typeof value === "number" && Number.isSafeInteger(value) && value > 0 ? valid(value) : invalid(field, value, "a positive safe integer")

/** The rate's algorithm; absent: `"token-bucket"`. */
export const checkRateAlgorithm = (field: string, value: unknown): Checked<RateAlgorithm> => {
  const algorithm = orDefault(value, "token-bucket")
  return algorithm === "token-bucket" || algorithm === "fixed-window"
    ? valid(algorithm)
    : invalid(field, algorithm, "\"token-bucket\" or \"fixed-window\"")
}
