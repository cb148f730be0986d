/**
 * Delay-based limit after TCP Vegas: Netflix's `VegasLimit`.
 *
 * @internal
 */
import type * as Limit from "../../Limit.js"
import { check, checkBounds, checkTuning, clamp, floorIn, isNumber, make } from "./core.js"

/**
 * Netflix's `Log10RootFunction` with baseline 0: `max(1, ⌊log10 limit⌋)`,
 * the scale of Vegas's thresholds and steps.
 *
 * @internal
 */
export const log10 = (limit: number): number => Math.max(1, Math.floor(Math.log10(limit)))

/** Netflix's `VegasLimit.Builder` defaults (it has no minimum: it clamps at 1). @internal */
export const defaults = {
  min: 1,
  max: 1000,
  smoothing: 1,
  probeMultiplier: 30,
  alpha: (limit: number) => 3 * log10(limit),
  beta: (limit: number) => 6 * log10(limit),
  threshold: log10,
  increase: log10,
  decrease: log10
} as const

/** @internal */
export const vegas = (options: Limit.VegasOptions): Limit.Limit<Limit.VegasState> => {
  const { initial, max, min } = checkBounds("vegas", { ...options, min: options.min ?? defaults.min }, defaults)
  const smoothing = options.smoothing ?? defaults.smoothing
  check("Limit.vegas.smoothing", smoothing, isNumber(smoothing) && smoothing > 0 && smoothing <= 1, "a number in (0, 1]")
  const probeMultiplier = options.probeMultiplier ?? defaults.probeMultiplier
  check("Limit.vegas.probeMultiplier", probeMultiplier, isNumber(probeMultiplier) && probeMultiplier > 0, "a positive finite number")
  const alpha = checkTuning("Limit.vegas.alpha", options.alpha, defaults.alpha)
  const beta = checkTuning("Limit.vegas.beta", options.beta, defaults.beta)
  if (typeof options.alpha === "number" && typeof options.beta === "number") {
    check("Limit.vegas.beta", options.beta, options.beta >= options.alpha, `a number at least alpha (${options.alpha})`)
  }
  const threshold = checkTuning("Limit.vegas.threshold", options.threshold, defaults.threshold)
  const increase = checkTuning("Limit.vegas.increase", options.increase, defaults.increase)
  const decrease = checkTuning("Limit.vegas.decrease", options.decrease, defaults.decrease)

  /** Bounds, then smoothing; a tuning function's non-finite answer changes nothing. */
  const moveTo = (state: Limit.VegasState, target: number, probeCount: number): Limit.VegasState => {
    if (!Number.isFinite(target)) return { ...state, probeCount }
    const estimatedLimit = (1 - smoothing) * state.estimatedLimit + smoothing * clamp(target, min, max)
    return { ...state, estimatedLimit, probeCount }
  }

  const update = (state: Limit.VegasState, sample: Limit.Sample): Limit.VegasState => {
    const rtt = sample.rttMillis
    const didDrop = sample.outcome !== "success"
    const limit = Math.floor(state.estimatedLimit)
    if (!(rtt > 0)) {
      // No latency to learn from (a refusal, or a call under the clock's
      // resolution). Netflix requires rtt > 0; a drop still shrinks the limit.
      return didDrop ? moveTo(state, state.estimatedLimit - decrease(limit), state.probeCount) : state
    }
    const probeCount = state.probeCount + 1
    // Every probeMultiplier × limit samples, forget the no-load rtt: the
    // service may have become slower for good, and the minimum would never
    // rise on its own.
    if (probeMultiplier * state.estimatedLimit <= probeCount) {
      return { ...state, rttNoLoad: rtt, probeCount: 0 }
    }
    if (state.rttNoLoad === 0 || rtt < state.rttNoLoad) return { ...state, rttNoLoad: rtt, probeCount }

    if (didDrop) return moveTo(state, state.estimatedLimit - decrease(limit), probeCount)
    // Prevent upward drift while the limit is not in use ("app limited").
    if (sample.inflight * 2 < state.estimatedLimit) return { ...state, probeCount }
    // The calls queued behind the no-load ones: limit × (1 − rtt_noload / rtt).
    const queueSize = Math.ceil(state.estimatedLimit * (1 - state.rttNoLoad / rtt))
    if (queueSize <= threshold(limit)) return moveTo(state, state.estimatedLimit + beta(limit), probeCount)
    if (queueSize < alpha(limit)) return moveTo(state, state.estimatedLimit + increase(limit), probeCount)
    if (queueSize > beta(limit)) return moveTo(state, state.estimatedLimit - decrease(limit), probeCount)
    return { ...state, probeCount }
  }

  return make({
    name: "vegas",
    min,
    max,
    initial: { estimatedLimit: initial, rttNoLoad: 0, probeCount: 0 },
    update,
    limitOf: (state) => floorIn(state.estimatedLimit, min, max)
  })
}
