/**
 * What every limit algorithm shares: its type id, its construction, and the
 * checks of its options.
 *
 * @internal
 */
import type * as Limit from "../../Limit.js"
import { LimiterConfigError } from "../../LimiterConfigError.js"
import { renderValue } from "../options.js"

/** @internal */
export const TypeId: unique symbol = Symbol.for("effect-concurrency-limiter/Limit")

/** @internal */
export type TypeId = typeof TypeId

/** Stamps the type id on an algorithm's parts, so that `isLimit` knows it. @internal */
export const make = <S>(parts: Omit<Limit.Limit<S>, typeof TypeId>): Limit.Limit<S> => ({ [TypeId]: TypeId, ...parts })

/**
 * Options are given in code, not read from `Config`, so a bad one is a
 * programming error: the constructor throws at once, naming it.
 *
 * @internal
 */
export const check = (field: string, value: unknown, ok: boolean, expected: string): void => {
  if (!ok) throw new LimiterConfigError({ field, value: renderValue(value), expected })
}

/** @internal */
export const isNumber = (u: unknown): u is number => typeof u === "number" && Number.isFinite(u)

/** A limit is a whole number of permits, at least one. @internal */
export const checkLimit = (field: string, value: unknown): number => {
  check(field, value, typeof value === "number" && Number.isSafeInteger(value) && value >= 1, "a positive safe integer")
  return value as number
}

/**
 * The bounds shared by the adaptive algorithms: `initial` is required, and
 * `min` / `max` default to Netflix's, widened to take in `initial` so that
 * any valid `initial` works without also giving bounds.
 *
 * @internal
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

/** @internal */
export const clamp = (n: number, min: number, max: number): number => Math.max(min, Math.min(max, n))

/**
 * The integer limit a float estimate stands for: rounded down, as Java's
 * `(int)` cast does in Netflix's code, then kept in bounds.
 *
 * @internal
 */
export const floorIn = (estimate: number, min: number, max: number): number => clamp(Math.floor(estimate), min, max)

/**
 * A tuning value given as a constant or as a function of the current
 * (integer) limit, as Netflix's builders accept both.
 *
 * @internal
 */
export type Tuning = number | ((limit: number) => number)

/** @internal */
export const checkTuning = (field: string, value: unknown, fallback: (limit: number) => number): (limit: number) => number => {
  if (value === undefined) return fallback
  if (typeof value === "function") return value as (limit: number) => number
  check(field, value, isNumber(value) && value >= 0, "a non-negative finite number, or a function of the limit")
  return () => value as number
}

/**
 * Whether a call ran with at most `min` calls in flight, from its grant to
 * its release: its rtt is then the service's no-load rtt (at `min`).
 *
 * @internal
 */
export const ranAlone = (sample: Limit.Sample, min: number): boolean =>
  sample.inflight <= min && (sample.inflightAtRelease ?? sample.inflight) <= min


/**
 * The most calls in flight a call met: at its grant or at its release,
 * itself included.
 *
 * @internal
 */
export const loadOf = (sample: Limit.Sample): number => Math.max(sample.inflight, sample.inflightAtRelease ?? 0)
