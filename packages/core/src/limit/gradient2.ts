/**
 * Gradient of short- against long-term latency: Netflix's `Gradient2Limit`.
 */
import { check } from "../options/invalid.js"
import { orDefault } from "../options/orDefault.js"
import { checkBounds, checkTuning, isNumber } from "./checks.js"
import { clamp, floorIn, loadOf, ranAlone } from "./measures.js"
import { make, type Limit, type Sample } from "./model.js"
import type { Gradient2Options, Gradient2State } from "./options.js"

/** Netflix's `Gradient2Limit.Builder` defaults. */
export const defaults = {
  min: 20,
  max: 200,
  smoothing: 0.2,
  rttTolerance: 1.5,
  longWindow: 600,
  queueSize: () => 4
} as const

/** Gradient2 over `options` (checked at once: a bad one throws `InvalidOptionError`). */
export const gradient2 = (options: Gradient2Options): Limit<Gradient2State> => {
  const { initial, max, min } = checkBounds("gradient2", options, defaults)
  const smoothing = orDefault(options.smoothing, defaults.smoothing)
  check("Limit.gradient2.smoothing", smoothing, isNumber(smoothing) && smoothing > 0 && smoothing <= 1, "a number in (0, 1]")
  const rttTolerance = orDefault(options.rttTolerance, defaults.rttTolerance)
  check("Limit.gradient2.rttTolerance", rttTolerance, isNumber(rttTolerance) && rttTolerance >= 1, "a finite number at least 1")
  const longWindow = orDefault(options.longWindow, defaults.longWindow)
  check("Limit.gradient2.longWindow", longWindow, Number.isSafeInteger(longWindow) && longWindow >= 1, "a positive safe integer (samples)")
  const queueSize = checkTuning("Limit.gradient2.queueSize", options.queueSize, defaults.queueSize)
  const factor = 2 / (longWindow + 1)

  const update = (state: Gradient2State, sample: Sample): Gradient2State => {
    const shortRtt = sample.rttMillis
    // Without a latency (a refusal, or a call under the clock's resolution)
    // there is no gradient; Netflix never gets one (its rtt is in nanos).
    if (!(shortRtt > 0)) return state
    if (state.longRtt === 0) {
      // The first latency anchors every later judgement, and it may already
      // be an overload's (a limit started far too high): gradient2 would
      // then take that overload for normal and never come down. So it is
      // measured on a call that ran with at most `min` in flight; until one
      // has, the limit is `min` and the calls granted before drain.
      // (Netflix averages its first ten samples, whatever the load.)
      if (!ranAlone(sample, min)) {
        return state.probing ? state : { ...state, probing: true, firstLoad: loadOf(sample), firstRtt: shortRtt }
      }
      // Then it resumes at the concurrency the first calls would have had
      // without queuing (Little's law: load × no-load rtt / their rtt), if
      // that is below the limit they ran under: a limit started far too
      // high then starts near the service's capacity instead.
      const sustained = state.probing ? state.firstLoad * (shortRtt / state.firstRtt) : Infinity
      const estimatedLimit = clamp(Math.min(state.estimatedLimit, sustained), min, max)
      return { ...state, estimatedLimit, probing: false, longRtt: shortRtt, firstLoad: 0, firstRtt: 0 }
    }
    const averaged = state.longRtt * (1 - factor) + shortRtt * factor
    // After a long overload the long rtt lags far behind a recovered short
    // one; decay it rather than wait for the average to catch up.
    const next = { ...state, longRtt: averaged / shortRtt > 2 ? averaged * 0.95 : averaged }
    // Tolerate rttTolerance × the long rtt; shed at most half at once, so an
    // outlier cannot collapse the limit.
    const gradient = Math.max(0.5, Math.min(1, (rttTolerance * next.longRtt) / shortRtt))
    const target = state.estimatedLimit * gradient + queueSize(Math.floor(state.estimatedLimit))
    const smoothed = state.estimatedLimit * (1 - smoothing) + target * smoothing
    // Grow only on a call that ran with the limit in full use: one granted
    // with fewer permits in use (before the limit grew, or while demand is
    // below it) says nothing about whether more would be safe. (Netflix:
    // half the limit in use, and it then neither grows nor shrinks.)
    if (smoothed > state.estimatedLimit && sample.inflight < Math.floor(state.estimatedLimit)) return next
    return Number.isFinite(smoothed) ? { ...next, estimatedLimit: clamp(smoothed, min, max) } : next
  }

  return make({
    name: "gradient2",
    min,
    max,
    initial: { estimatedLimit: initial, longRtt: 0, probing: false, firstLoad: 0, firstRtt: 0 },
    update,
    limitOf: (state) => state.probing ? min : floorIn(state.estimatedLimit, min, max)
  })
}
