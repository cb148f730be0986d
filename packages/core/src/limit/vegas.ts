/**
 * Delay-based limit after TCP Vegas: Netflix's `VegasLimit`.
 */
import { check } from "../options/invalid.js"
import { orDefault } from "../options/orDefault.js"
import { checkBounds, checkTuning, isNumber } from "./checks.js"
import { clamp, floorIn, ranAlone } from "./measures.js"
import { make, type Limit, type Sample } from "./model.js"
import type { VegasOptions, VegasState } from "./options.js"

/**
 * Netflix's `Log10RootFunction` with baseline 0: `max(1, ⌊log10 limit⌋)`,
 * the scale of Vegas's thresholds and steps.
 */
export const log10 = (limit: number): number => Math.max(1, Math.floor(Math.log10(limit)))

/** Netflix's `VegasLimit.Builder` defaults (it has no minimum: it clamps at 1). */
export const defaults = {
  min: 1,
  max: 1000,
  smoothing: 1,
  probeMultiplier: 1_000,
  alpha: (limit: number) => 3 * log10(limit),
  beta: (limit: number) => 6 * log10(limit),
  threshold: log10,
  increase: log10,
  decrease: log10
} as const

/** Vegas over `options` (checked at once: a bad one throws `InvalidOptionError`). */
export const vegas = (options: VegasOptions): Limit<VegasState> => {
  const { initial, max, min } = checkBounds("vegas", { ...options, min: orDefault(options.min, defaults.min) }, defaults)
  const smoothing = orDefault(options.smoothing, defaults.smoothing)
  check("Limit.vegas.smoothing", smoothing, isNumber(smoothing) && smoothing > 0 && smoothing <= 1, "a number in (0, 1]")
  const probeMultiplier = orDefault(options.probeMultiplier, defaults.probeMultiplier)
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
  const moveTo = (state: VegasState, target: number, probeCount: number): VegasState => {
    if (!Number.isFinite(target)) return { ...state, probeCount }
    const estimatedLimit = (1 - smoothing) * state.estimatedLimit + smoothing * clamp(target, min, max)
    return { ...state, estimatedLimit, probeCount }
  }

  const update = (state: VegasState, sample: Sample): VegasState => {
    // A refusal by the limiter says that more calls want in than the limit
    // lets through, not that the service struggles: Netflix never feeds it
    // to the limit, and shrinking on it would cut throughput at the peak.
    if (sample.outcome === "dropped") return state
    const rtt = sample.rttMillis
    const didDrop = sample.outcome === "failure"
    const limit = Math.floor(state.estimatedLimit)
    if (!(rtt > 0)) {
      // No latency to learn from (a call under the clock's resolution).
      // Netflix requires rtt > 0; a failure still shrinks the limit.
      return didDrop && !state.probing ? moveTo(state, state.estimatedLimit - decrease(limit), state.probeCount) : state
    }
    // A call that ran with at most `min` in flight measures the no-load rtt.
    const alone = ranAlone(sample, min)
    if (state.probing) {
      // Calls granted before the probe drain first; they teach nothing.
      return alone ? { ...state, probing: false, rttNoLoad: rtt, probeCount: 0 } : state
    }
    const probeCount = state.probeCount + 1
    // The first sample, and then every probeMultiplier × limit samples: the
    // no-load rtt is (re)measured. Netflix takes the next sample's rtt as is,
    // but under overload that is an overloaded rtt, and Vegas then tolerates
    // the overload for good; so the probe lets only `min` calls run for one
    // call, as TCP BBR's ProbeRTT does, and measures that.
    if (state.rttNoLoad === 0 || probeMultiplier * state.estimatedLimit <= probeCount) {
      return alone ? { ...state, rttNoLoad: rtt, probeCount: 0 } : { ...state, probing: true, probeCount: 0 }
    }
    if (rtt < state.rttNoLoad) return { ...state, rttNoLoad: rtt, probeCount }

    // A call granted while more permits were in use than the limit now
    // allows started before the last decrease, which already answered the
    // queue it met: shrink once per round trip, as TCP Vegas does.
    const beforeDecrease = sample.inflight > limit
    if (didDrop) {
      return beforeDecrease ? { ...state, probeCount } : moveTo(state, state.estimatedLimit - decrease(limit), probeCount)
    }
    // The calls queued behind the no-load ones: limit × (1 − rtt_noload / rtt).
    const queueSize = Math.ceil(state.estimatedLimit * (1 - state.rttNoLoad / rtt))
    if (queueSize > beta(limit)) {
      if (beforeDecrease) return { ...state, probeCount }
      // Shed the calls queued past beta at once, and at least `decrease`:
      // Netflix sheds `decrease` per sample, which takes a hundred calls to
      // come down from 200, each as slow as the overload.
      const shed = Math.max(decrease(limit), queueSize - beta(limit))
      return moveTo(state, state.estimatedLimit - shed, probeCount)
    }
    // Grow only on a call that ran with the limit in full use: one granted
    // with fewer permits in use (before the limit grew, or while demand is
    // below it) says nothing about whether more would be safe. (Netflix:
    // half the limit in use, which lets the limit double on the calls
    // granted before its last increase.)
    if (sample.inflight < limit) return { ...state, probeCount }
    if (queueSize <= threshold(limit)) return moveTo(state, state.estimatedLimit + beta(limit), probeCount)
    if (queueSize < alpha(limit)) return moveTo(state, state.estimatedLimit + increase(limit), probeCount)
    return { ...state, probeCount }
  }

  return make({
    name: "vegas",
    min,
    max,
    initial: { estimatedLimit: initial, rttNoLoad: 0, probeCount: 0, probing: false },
    update,
    limitOf: (state) => state.probing ? min : floorIn(state.estimatedLimit, min, max)
  })
}
