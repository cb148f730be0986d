/**
 * Feeds a delegate one aggregated sample per window: Netflix's
 * `WindowedLimit` with its `AverageSampleWindow`.
 */
import { check } from "../options/invalid.js"
import { orDefault } from "../options/orDefault.js"
import { isNumber } from "./checks.js"
import { make, type Limit, type Sample } from "./model.js"
import type { SampleWindow, WindowedOptions, WindowedState } from "./options.js"

/** Netflix's `WindowedLimit` defaults (1 s windows, ≥ 10 samples, 100 µs). */
export const defaults = { minWindowMillis: 1_000, maxWindowMillis: 1_000, windowSize: 10, minRttThresholdMillis: 0.1 } as const

const open = (startMillis: number): SampleWindow => ({
  startMillis,
  count: 0,
  rttCount: 0,
  rttSum: 0,
  minRtt: Infinity,
  maxInflight: 0,
  maxInflightAtRelease: 0,
  didDrop: false
})

/** `delegate` fed one sample per window (options checked at once: a bad one throws `InvalidOptionError`). */
export const windowed = <S>(delegate: Limit<S>, options: WindowedOptions = {}): Limit<WindowedState<S>> => {
  check("Limit.windowed.delegate", delegate, typeof delegate === "object" && delegate !== null && typeof delegate.update === "function", "a Limit")
  const minWindowMillis = orDefault(options.minWindowMillis, defaults.minWindowMillis)
  check("Limit.windowed.minWindowMillis", minWindowMillis, isNumber(minWindowMillis) && minWindowMillis > 0, "a positive finite number of millis")
  const maxWindowMillis = orDefault(options.maxWindowMillis, Math.max(defaults.maxWindowMillis, minWindowMillis))
  check("Limit.windowed.maxWindowMillis", maxWindowMillis, isNumber(maxWindowMillis) && maxWindowMillis >= minWindowMillis, `a finite number of millis at least minWindowMillis (${minWindowMillis})`)
  const windowSize = orDefault(options.windowSize, defaults.windowSize)
  check("Limit.windowed.windowSize", windowSize, Number.isSafeInteger(windowSize) && windowSize >= 1, "a positive safe integer (samples)")
  const threshold = orDefault(options.minRttThresholdMillis, defaults.minRttThresholdMillis)
  check("Limit.windowed.minRttThresholdMillis", threshold, isNumber(threshold) && threshold >= 0, "a non-negative finite number of millis")

  const update = (state: WindowedState<S>, sample: Sample): WindowedState<S> => {
    // Calls faster than the threshold (cache hits, fast failures) say nothing
    // about the service's queue, nor do the limiter's own refusals (which
    // Netflix never feeds to the limit).
    if (sample.outcome === "dropped" || sample.rttMillis < threshold) return state
    const current = state.window ?? open(sample.endMillis)
    const window: SampleWindow = {
      startMillis: current.startMillis,
      count: current.count + 1,
      rttCount: current.rttCount + 1,
      rttSum: current.rttSum + sample.rttMillis,
      minRtt: Math.min(current.minRtt, sample.rttMillis),
      maxInflight: Math.max(current.maxInflight, sample.inflight),
      maxInflightAtRelease: Math.max(current.maxInflightAtRelease, sample.inflightAtRelease ?? sample.inflight),
      didDrop: current.didDrop || sample.outcome !== "success"
    }
    const elapsed = sample.endMillis - window.startMillis
    // A window lasts at least twice its fastest call, so that it sees whole
    // calls, within [minWindow, maxWindow].
    const minDuration = Math.min(Math.max(window.rttCount > 0 ? 2 * window.minRtt : 0, minWindowMillis), maxWindowMillis)
    const full = window.count >= windowSize
    if (!(full && elapsed >= minDuration) && elapsed < maxWindowMillis) return { delegate: state.delegate, window }
    // A window that reached maxWindow with fewer than windowSize samples is
    // dropped, as Netflix drops windows without enough significant samples.
    if (!full) return { delegate: state.delegate, window: undefined }
    const aggregated: Sample = {
      endMillis: sample.endMillis,
      rttMillis: window.rttCount > 0 ? window.rttSum / window.rttCount : 0,
      inflight: window.maxInflight,
      inflightAtRelease: window.maxInflightAtRelease,
      outcome: window.didDrop ? "failure" : "success"
    }
    return { delegate: delegate.update(state.delegate, aggregated), window: undefined }
  }

  return make({
    name: `windowed(${delegate.name})`,
    min: delegate.min,
    max: delegate.max,
    initial: { delegate: delegate.initial, window: undefined },
    update,
    limitOf: (state) => delegate.limitOf(state.delegate)
  })
}
