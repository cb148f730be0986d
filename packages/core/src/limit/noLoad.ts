/**
 * `auto`'s no-load latency: measured, as Envoy's adaptive concurrency does,
 * by pinning the limit low for a few calls — at `min`, or at half the last
 * limit found fast — and timing the calls that ran with no more than that
 * in flight.
 */
import { defaults } from "./autoDefaults.js"
import { clamp, loadOf, ranAlone } from "./measures.js"
import type { Sample } from "./model.js"
import type { AutoState } from "./options.js"
import { highestSlow, record } from "./rates.js"

/** A measurement not begun: its accumulators, and those of the drain before it. */
export const noMeasurement = {
  measuredCount: 0,
  measuredSum: 0,
  measuredSquares: 0,
  measuredLastGrant: 0,
  measuredCut: 0,
  drainCount: 0,
  drainLoad: 0,
  drainRtt: 0
} as const

/**
 * `state` measuring the no-load latency from `endMillis` with the limit pinned
 * at `pin`, to resume at `resumeAt` once it is known.
 */
export const measuring = (state: AutoState, endMillis: number, resumeAt: number, pin: number): AutoState => ({
  ...state,
  mode: "measuring",
  pin,
  resumeAt,
  ...noMeasurement,
  measuredAtMillis: endMillis
})

/**
 * A measuring `state` with `sample` (a success with an rtt) taken in: still
 * measuring, or, once the no-load latency is known, running again at the
 * limit it resumes at (its first window not yet opened).
 */
export const measure = (state: AutoState, sample: Sample, min: number, max: number): AutoState => {
  const rtt = sample.rttMillis
  const end = sample.endMillis
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
  // A cohort, as a window is (auto.ts): the calls granted until there are
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
  // the no-load latency / their mean latency) — or than the highest limit
  // found slower yet worth it, which drains slow calls by design.
  const overloaded = state.drainCount > 0 && state.drainRtt / state.drainCount > 2 * mean
  const sustained = overloaded ? (state.drainLoad * mean) / state.drainRtt : Infinity
  const paid = highestSlow(state.rates, state.resumeAt, state.pin)
  const limit = clamp(Math.min(state.resumeAt, Math.max(sustained, paid, min)), min, max)
  return {
    ...state,
    mode: "running",
    limit,
    floor: mean,
    floorError: error,
    // `pin` calls in flight, each taking the no-load latency.
    rates: record(state.rates, { limit: state.pin, rate: state.pin / mean, error, slow: true }),
    peakGood: 0,
    measuredAtMillis: end,
    ...noMeasurement,
    step: 1,
    hold: 0,
    decreases: 0
  }
}
