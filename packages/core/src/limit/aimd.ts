/**
 * Additive increase, multiplicative decrease: Netflix's `AIMDLimit`.
 */
import { check } from "../options/invalid.js"
import { orDefault } from "../options/orDefault.js"
import { checkBounds, isNumber } from "./checks.js"
import { clamp } from "./measures.js"
import { make, type Limit, type Sample } from "./model.js"
import type { AimdOptions, AimdState } from "./options.js"

/** Netflix's `AIMDLimit.Builder` defaults (its timeout is 5 seconds). */
export const defaults = { min: 20, max: 200, backoffRatio: 0.9, timeoutMillis: 5_000 } as const

/** AIMD over `options` (checked at once: a bad one throws `InvalidOptionError`). */
export const aimd = (options: AimdOptions): Limit<AimdState> => {
  const { initial, max, min } = checkBounds("aimd", options, defaults)
  const backoffRatio = orDefault(options.backoffRatio, defaults.backoffRatio)
  check("Limit.aimd.backoffRatio", backoffRatio, isNumber(backoffRatio) && backoffRatio > 0 && backoffRatio < 1, "a ratio in (0, 1)")
  const timeoutMillis = orDefault(options.timeoutMillis, defaults.timeoutMillis)
  check("Limit.aimd.timeoutMillis", timeoutMillis, typeof timeoutMillis === "number" && timeoutMillis > 0, "a positive number of millis (Infinity: no timeout)")

  const update = (state: AimdState, sample: Sample): AimdState => {
    const limit = state.limit
    // A refusal by the limiter says that more calls want in than the limit
    // lets through, not that the service struggles: Netflix never feeds it
    // to the limit, and backing off on it would cut throughput at the peak.
    if (sample.outcome === "dropped") return state
    if (sample.outcome === "failure" || sample.rttMillis > timeoutMillis) {
      // A call granted while more permits were in use than the limit now
      // allows started before the last decrease, which already answered the
      // overload it met: back off once per round trip, as TCP does, or a wall
      // of slow calls started under a high limit multiplies it down to min.
      if (sample.inflight > limit) return state
      return { limit: clamp(Math.floor(limit * backoffRatio), min, max) }
    }
    // Grow only on a call that ran with the limit in full use: a call granted
    // under a lower limit says nothing about whether this one is safe.
    if (sample.inflight >= limit) return { limit: clamp(limit + 1, min, max) }
    return state
  }

  return make({ name: "aimd", min, max, initial: { limit: initial }, update, limitOf: (state) => state.limit })
}
