/**
 * The checks of the limit algorithms' options. Options are given in code,
 * not read from configuration, so a bad one is a programming error: the
 * constructor throws an `InvalidOptionError` at once, naming it.
 */
import { check } from "../options/invalid.js"

/** Whether a value is a finite number. */
export const isNumber = (u: unknown): u is number => typeof u === "number" && Number.isFinite(u)

/** A limit is a whole number of permits, at least one. */
export const checkLimit = (field: string, value: unknown): number => {
  check(field, value, typeof value === "number" && Number.isSafeInteger(value) && value >= 1, "a positive safe integer")
  return value as number
}

/**
 * The bounds shared by the adaptive algorithms: `initial` is required, and
 * `min` / `max` default to Netflix's, widened to take in `initial` so that
 * any valid `initial` works without also giving bounds.
 */
export const checkBounds = (
  name: string,
  options: { readonly initial: number; readonly min?: number | undefined; readonly max?: number | undefined },
  defaults: { readonly min: number; readonly max: number }
): { readonly initial: number; readonly min: number; readonly max: number } => {
  const initial = checkLimit(`Limit.${name}.initial`, options.initial)
  const min = options.min === undefined ? Math.min(defaults.min, initial) : checkLimit(`Limit.${name}.min`, options.min)
  const max = options.max === undefined ? Math.max(defaults.max, initial) : checkLimit(`Limit.${name}.max`, options.max)
  check(`Limit.${name}.max`, max, max >= min, `an integer at least min (${min})`)
  check(`Limit.${name}.initial`, initial, initial >= min && initial <= max, `an integer in [min, max] = [${min}, ${max}]`)
  return { initial, min, max }
}

/** A `Tuning` as a function of the limit: `fallback` when absent. */
export const checkTuning = (field: string, value: unknown, fallback: (limit: number) => number): (limit: number) => number => {
  if (value === undefined) return fallback
  if (typeof value === "function") return value as (limit: number) => number
  check(field, value, isNumber(value) && value >= 0, "a non-negative finite number, or a function of the limit")
  return () => value as number
}
