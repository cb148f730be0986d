/**
 * Gradient of short- against long-term latency: Netflix's `Gradient2Limit`.
 *
 * @internal
 */
import type * as Limit from "../../Limit.js"
import { check, checkBounds, checkTuning, clamp, floorIn, isNumber, make } from "./core.js"

/** Netflix's `Gradient2Limit.Builder` defaults. @internal */
export const defaults = {
  min: 20,
  max: 200,
  smoothing: 0.2,
  rttTolerance: 1.5,
  longWindow: 600,
  queueSize: () => 4
} as const

/**
 * Netflix's `ExpAvgMeasurement(longWindow, 10)`: the plain average of the
 * first ten samples (an exponential average seeded with one sample would
 * follow it too closely), then an exponential average with factor
 * 2 / (longWindow + 1).
 *
 * @internal
 */
export const WARMUP = 10

/** @internal */
export const gradient2 = (options: Limit.Gradient2Options): Limit.Limit<Limit.Gradient2State> => {
  const { initial, max, min } = checkBounds("gradient2", options, defaults)
  const smoothing = options.smoothing ?? defaults.smoothing
  check("Limit.gradient2.smoothing", smoothing, isNumber(smoothing) && smoothing > 0 && smoothing <= 1, "a number in (0, 1]")
  const rttTolerance = options.rttTolerance ?? defaults.rttTolerance
  check("Limit.gradient2.rttTolerance", rttTolerance, isNumber(rttTolerance) && rttTolerance >= 1, "a finite number at least 1")
  const longWindow = options.longWindow ?? defaults.longWindow
  check("Limit.gradient2.longWindow", longWindow, Number.isSafeInteger(longWindow) && longWindow >= 1, "a positive safe integer (samples)")
  const queueSize = checkTuning("Limit.gradient2.queueSize", options.queueSize, defaults.queueSize)
  const factor = 2 / (longWindow + 1)

  const update = (state: Limit.Gradient2State, sample: Limit.Sample): Limit.Gradient2State => {
    const shortRtt = sample.rttMillis
    // Without a latency (a refusal, or a call under the clock's resolution)
    // there is no gradient; Netflix never gets one (its rtt is in nanos).
    if (!(shortRtt > 0)) return state
    const warming = state.longCount < WARMUP
    const longSum = warming ? state.longSum + shortRtt : state.longSum
    const longCount = warming ? state.longCount + 1 : state.longCount
    const longRtt = warming ? longSum / longCount : state.longRtt * (1 - factor) + shortRtt * factor
    // After a long overload the long rtt lags far behind a recovered short
    // one; decay it rather than wait for the average to catch up.
    const next = { estimatedLimit: state.estimatedLimit, longRtt: longRtt / shortRtt > 2 ? longRtt * 0.95 : longRtt, longCount, longSum }
    // Don't grow the limit while it is not in use ("app limited").
    if (sample.inflight < state.estimatedLimit / 2) return next
    // Tolerate rttTolerance × the long rtt; shed at most half at once, so an
    // outlier cannot collapse the limit.
    const gradient = Math.max(0.5, Math.min(1, (rttTolerance * longRtt) / shortRtt))
    const target = state.estimatedLimit * gradient + queueSize(Math.floor(state.estimatedLimit))
    const smoothed = state.estimatedLimit * (1 - smoothing) + target * smoothing
    return Number.isFinite(smoothed) ? { ...next, estimatedLimit: clamp(smoothed, min, max) } : next
  }

  return make({
    name: "gradient2",
    min,
    max,
    initial: { estimatedLimit: initial, longRtt: 0, longCount: 0, longSum: 0 },
    update,
    limitOf: (state) => floorIn(state.estimatedLimit, min, max)
  })
}
