/**
 * The untuned default: a gradient against a measured no-load latency, in
 * windows of calls granted under the current limit, with a growth that waits
 * near the last overload and accelerates away from it.
 */
import { check } from "../options/invalid.js"
import { orDefault } from "../options/orDefault.js"
import { checkLimit, isNumber } from "./checks.js"
import { clamp, floorIn, loadOf, ranAlone } from "./measures.js"
import { make, type Limit, type Sample } from "./model.js"
import type { AutoOptions, AutoState } from "./options.js"

/** The defaults of `auto`'s options, and the constants of its measurements. */
export const defaults = {
  initial: 10,
  min: 1,
  max: 1_000,
  tolerance: 1.1,
  remeasureMillis: 60_000,
  windowSamples: 24,
  /** A window may be judged slow from this many calls. */
  windowSamplesEarly: 8,
  windowSamplesMax: 400,
  /** … or this many no-load latencies. */
  windowFloors: 50,
  /** A window waits this many of its mean rtts after its last grant for its slow calls. */
  stragglers: 4,
  /** Calls measured alone: at least this many, … */
  floorSamples: 32,
  /** … until their mean is known within 3 % (one standard error), or this many. */
  floorSamplesMax: 300,
  /** Windows held after a decrease before growing again. */
  hold: 16
} as const

/** A measurement not begun: its accumulators, and those of the drain before it. */
const noMeasurement = {
  measuredCount: 0,
  measuredSum: 0,
  measuredSquares: 0,
  measuredLastGrant: 0,
  measuredCut: 0,
  drainCount: 0,
  drainLoad: 0,
  drainRtt: 0
} as const

const measuring = (state: AutoState, endMillis: number, resumeAt: number, pin: number): AutoState => ({
  ...state,
  mode: "measuring",
  pin,
  resumeAt,
  ...noMeasurement,
  measuredAtMillis: endMillis
})

/** The untuned adaptive limit over `options` (checked at once: a bad one throws `InvalidOptionError`). */
export const auto = (options: AutoOptions = {}): Limit<AutoState> => {
  const min = options.min === undefined ? defaults.min : checkLimit("Limit.auto.min", options.min)
  const max = options.max === undefined ? Math.max(defaults.max, min) : checkLimit("Limit.auto.max", options.max)
  check("Limit.auto.max", max, max >= min, `an integer at least min (${min})`)
  const initial = options.initial === undefined ? clamp(defaults.initial, min, max) : checkLimit("Limit.auto.initial", options.initial)
  check("Limit.auto.initial", initial, initial >= min && initial <= max, `an integer in [min, max] = [${min}, ${max}]`)
  const tolerance = orDefault(options.tolerance, defaults.tolerance)
  check("Limit.auto.tolerance", tolerance, isNumber(tolerance) && tolerance > 1, "a finite number above 1")
  const remeasureMillis = orDefault(options.remeasureMillis, defaults.remeasureMillis)
  check("Limit.auto.remeasureMillis", remeasureMillis, typeof remeasureMillis === "number" && remeasureMillis > 0, "a positive number of millis (Infinity: never)")

  const startWindow = (state: AutoState, endMillis: number): AutoState => ({
    ...state,
    windowStart: endMillis,
    windowCount: 0,
    windowSum: 0,
    windowSquares: 0,
    windowLoad: 0,
    windowLastGrant: 0,
    windowCut: 0
  })

  const update = (state: AutoState, sample: Sample): AutoState => {
    const rtt = sample.rttMillis
    // A refusal says that more calls want in than the limit lets through, not
    // how the service fares; a call without a latency teaches nothing either.
    if (sample.outcome === "dropped" || !(rtt > 0)) return state
    const end = sample.endMillis

    if (state.mode === "measuring") {
      // The no-load latency is measured on calls that ran with at most `min`
      // in flight; the calls granted before the limit was pinned drain first.
      // A call granted before the measurement began was in progress when it
      // did: those that end first are the long ones (the inspection paradox).
      if (!ranAlone(sample, state.pin) || end - rtt < state.measuredAtMillis) {
        // Their mean load and latency tell how much the service sustained
        // (see below).
        return {
          ...state,
          drainCount: state.drainCount + 1,
          drainLoad: state.drainLoad + loadOf(sample),
          drainRtt: state.drainRtt + rtt
        }
      }
      // A cohort, as a window is (below): the calls granted until there are
      // enough, whose slow ones it then waits for — with more than one call
      // pinned, the first to end are the fast ones.
      const granted = end - rtt
      const late = state.measuredCut > 0 && granted > state.measuredCut
      const count = late ? state.measuredCount : state.measuredCount + 1
      const sum = late ? state.measuredSum : state.measuredSum + rtt
      const squares = late ? state.measuredSquares : state.measuredSquares + rtt * rtt
      const lastGrant = late ? state.measuredLastGrant : Math.max(state.measuredLastGrant, granted)
      const mean = sum / count
      const variance = Math.max(0, squares / count - mean * mean)
      const error = Math.sqrt(variance / count) / mean
      // Enough: its mean known within 3 % (one standard error); or, for a
      // noisy service, 300 calls or 50 no-load latencies (the threshold below
      // then allows for the larger error, and it is measured again as soon as
      // a higher pin makes that quick).
      const enough = count >= defaults.floorSamples &&
        (error <= 0.03 || count >= defaults.floorSamplesMax || end - state.measuredAtMillis >= defaults.windowFloors * mean)
      const measured = { ...state, measuredCount: count, measuredSum: sum, measuredSquares: squares, measuredLastGrant: lastGrant }
      if (state.measuredCut === 0) return enough ? { ...measured, measuredCut: lastGrant } : measured
      if (end < state.measuredCut + defaults.stragglers * mean) return measured
      // Resume where it was; but after an overload (the calls that drained
      // took over twice the no-load latency), no higher than the concurrency
      // they would have had without queuing (Little's law: their mean load ×
      // the no-load latency / their mean latency).
      const overloaded = state.drainCount > 0 && state.drainRtt / state.drainCount > 2 * mean
      const sustained = overloaded ? (state.drainLoad * mean) / state.drainRtt : Infinity
      const limit = clamp(Math.min(state.resumeAt, Math.max(sustained, min)), min, max)
      return startWindow({
        ...state,
        mode: "running",
        limit,
        floor: mean,
        floorError: error,
        peakGood: 0,
        measuredAtMillis: end,
        ...noMeasurement,
        step: 1,
        hold: 0,
        decreases: 0
      }, end)
    }

    // No no-load latency yet, or an old one: measure it (again), as Envoy's
    // adaptive concurrency does, by pinning the limit at `min` for a few calls.
    if (state.floor === 0) {
      return { ...measuring(state, end, state.limit, min), drainCount: 1, drainLoad: loadOf(sample), drainRtt: rtt }
    }
    const pin = Math.max(min, Math.floor(Math.min(state.peakGood, state.limit) / 2))
    const imprecise = state.floorError > 0.05 && pin >= 4 * state.pin
    if (end - state.measuredAtMillis >= remeasureMillis || state.decreases >= 6 || imprecise) {
      // Half the last limit found fast is still under the knee, and measures
      // far sooner than `min` would; without one, `min`.
      return measuring(state, end, state.limit, pin)
    }
    // A window is a cohort: the calls granted from its opening (so under the
    // limit it judges) until it has enough of them, whose stragglers it then
    // waits for, so that slow calls are not left out of its mean.
    const granted = end - rtt
    if (granted < state.windowStart) return state
    // After the cut, later calls only tell the time: has it waited long enough?
    const late = state.windowCut > 0 && granted > state.windowCut
    const next = late ? state : {
      ...state,
      windowCount: state.windowCount + 1,
      windowSum: state.windowSum + rtt,
      windowSquares: state.windowSquares + rtt * rtt,
      windowLoad: state.windowLoad + sample.inflight,
      windowLastGrant: Math.max(state.windowLastGrant, granted)
    }
    const mean = next.windowSum / next.windowCount
    const variance = Math.max(0, next.windowSquares / next.windowCount - mean * mean)
    const windowError = Math.sqrt(variance / next.windowCount) / mean
    // Clearly slow already — even the first calls to end, the fast ones,
    // beyond the tolerance by two standard errors: judged at once, so that a
    // limit past a steep knee costs few slow calls.
    const clearlySlow = next.windowCount >= defaults.windowSamplesEarly &&
      mean * (1 - 2 * windowError) > (tolerance + 2 * state.floorError) * state.floor
    if (!clearlySlow) {
      if (next.windowCut === 0) {
        // Enough calls: their mean known within 4 % (one standard error), or
        // the most a window takes, or (a low limit in front of a noisy
        // service) after 50 no-load latencies: the threshold below then
        // allows for the larger error.
        const enough = next.windowCount >= defaults.windowSamples &&
          (windowError <= 0.04 || next.windowCount >= defaults.windowSamplesMax ||
            end - state.windowStart >= defaults.windowFloors * state.floor)
        return enough ? { ...next, windowCut: next.windowLastGrant } : next
      }
      if (end < next.windowCut + defaults.stragglers * mean) return next
    }

    const ratio = mean / state.floor
    const load = next.windowLoad / next.windowCount
    const limit = Math.floor(state.limit)
    // Slow: beyond the tolerance by more than two standard errors of the
    // window's mean and of the floor, so that a noisy service is not taken
    // for an overloaded one.
    if (clearlySlow || ratio > tolerance + 2 * Math.hypot(windowError, state.floorError)) {
      // Slower than the tolerance. Above the last limit found fast, go back
      // to the fast one that sustained the most calls without queuing (load /
      // ratio: the knee on a steep curve, where the highest fast one is
      // already a little past it); at or below it (the knee moved down), come
      // down to about the concurrency that ran without queuing: load /
      // √ratio, between what a linear (load / ratio) and a steep curve
      // (≈ load) would call for, at most halving.
      // Slow at the concurrency the no-load latency was measured at: that
      // measurement is wrong (a noisy one, or the service slowed for good).
      if (limit <= state.pin) {
        return measuring({ ...next, lastGood: 0, bestLimit: 0, bestSustained: 0 }, end, state.limit, Math.max(min, Math.floor(limit / 2)))
      }
      const overshot = limit > state.lastGood && state.lastGood > 0
      const target = overshot
        ? Math.max(state.bestLimit, Math.min(state.limit, load / Math.sqrt(ratio)))
        : Math.max(load / Math.sqrt(ratio), state.limit / 2)
      const lowered = clamp(Math.min(state.limit, target), min, max)
      // Down to under half the highest limit found fast since the no-load
      // latency was measured: the knee halved, or that measurement was too
      // low (every window then looks slow); measure it again.
      if (lowered < state.peakGood / 2) {
        return measuring({ ...next, limit: lowered, lastGood: 0, bestLimit: 0, bestSustained: 0 }, end, lowered, Math.max(min, Math.floor(lowered / 2)))
      }
      return startWindow({
        ...next,
        limit: lowered,
        lastGood: overshot ? state.lastGood : 0,
        bestLimit: overshot ? state.bestLimit : 0,
        bestSustained: overshot ? state.bestSustained : 0,
        step: 1,
        hold: defaults.hold,
        decreases: state.decreases + 1
      }, end)
    }
    // Fast enough. Grow only when the limit is in full use (a limit above the
    // demand proves nothing), and only after a few windows near the last
    // overload; then by 1, 2, 4, … (at most a quarter) while it stays fast.
    const inFullUse = load >= 0.9 * limit
    if (!inFullUse) return startWindow({ ...next, decreases: 0 }, end)
    const sustained = load / Math.max(1, ratio)
    const better = sustained > state.bestSustained
    const good = {
      ...next,
      bestLimit: better ? limit : state.bestLimit,
      bestSustained: better ? sustained : state.bestSustained,
      lastGood: Math.max(state.lastGood, limit),
      peakGood: Math.max(state.peakGood, limit),
      decreases: 0
    }
    if (state.hold > 0) return startWindow({ ...good, hold: state.hold - 1 }, end)
    const grown = clamp(state.limit + state.step, min, max)
    return startWindow({ ...good, limit: grown, step: Math.min(2 * state.step, Math.max(1, grown / 2)) }, end)
  }

  return make({
    name: "auto",
    min,
    max,
    initial: {
      mode: "running",
      pin: min,
      limit: initial,
      floor: 0,
      floorError: 0,
      peakGood: 0,
      measuredAtMillis: 0,
      resumeAt: initial,
      ...noMeasurement,
      windowStart: 0,
      windowCount: 0,
      windowSum: 0,
      windowSquares: 0,
      windowLoad: 0,
      windowLastGrant: 0,
      windowCut: 0,
      lastGood: 0,
      bestLimit: 0,
      bestSustained: 0,
      step: 1,
      hold: 0,
      decreases: 0
    },
    update,
    limitOf: (state) => state.mode === "measuring" ? state.pin : floorIn(state.limit, min, max)
  })
}
