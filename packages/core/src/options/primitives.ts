/**
 * The checks of the simplest options: switches and names.
 */
import { type Checked, invalid, valid } from "./invalid.js"

/** A switch: `"false"` from a string setting would otherwise read as on. */
export const checkBoolean = (field: string, value: unknown): Checked<boolean> =>
  typeof value === "boolean" ? valid(value) : invalid(field, value, "a boolean")

/**
 * A limiter's name, the `limiter` label of its metric series: any
 * non-empty string (a Prometheus label value may hold any character).
 */
export const checkName = (field: string, value: unknown): Checked<string> =>
  typeof value === "string" && value.length > 0 ? valid(value) : invalid(field, value, "a non-empty string")
