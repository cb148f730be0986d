/**
 * Additive increase, multiplicative decrease: Netflix's `AIMDLimit`.
 *
 * @internal
 */
import type * as Limit from "../../Limit.js"
import { check, checkBounds, clamp, isNumber, make } from "./core.js"

/** Netflix's `AIMDLimit.Builder` defaults (its timeout is 5 seconds). @internal */
export const defaults = { min: 20, max: 200, backoffRatio: 0.9, timeoutMillis: 5_000 } as const

/** @internal */
export const aimd = (options: Limit.AimdOptions): Limit.Limit<Limit.AimdState> => {
  const { initial, max, min } = checkBounds("aimd", options, defaults)
  const backoffRatio = options.backoffRatio ?? defaults.backoffRatio
  check("Limit.aimd.backoffRatio", backoffRatio, isNumber(backoffRatio) && backoffRatio > 0 && backoffRatio < 1, "a ratio in (0, 1)")
  const timeoutMillis = options.timeoutMillis ?? defaults.timeoutMillis
  check("Limit.aimd.timeoutMillis", timeoutMillis, typeof timeoutMillis === "number" && timeoutMillis > 0, "a positive number of millis (Infinity: no timeout)")

  const update = (state: Limit.AimdState, sample: Limit.Sample): Limit.AimdState => {
    const limit = state.limit
    if (sample.outcome !== "success" || sample.rttMillis > timeoutMillis) {
      return { limit: clamp(Math.floor(limit * backoffRatio), min, max) }
    }
    // Grow only when the limit is in use: a limit nobody reaches says nothing
    // about whether a higher one would be safe ("app limited").
    if (sample.inflight * 2 >= limit) return { limit: clamp(limit + 1, min, max) }
    return state
  }

  return make({ name: "aimd", min, max, initial: { limit: initial }, update, limitOf: (state) => state.limit })
}
