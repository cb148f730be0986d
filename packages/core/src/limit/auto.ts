/**
 * The untuned default: a gradient against a measured no-load latency
 * (noLoad.ts), in windows of calls granted under the current limit, with a
 * growth that waits near the last overload and accelerates away from it;
 * and, past that latency, the throughput each limit bought (rates.ts), for
 * a service that is slower from its second call in flight yet serves more.
 */
import { check } from "../options/invalid.js"
import { orDefault } from "../options/orDefault.js"
import { defaults } from "./autoDefaults.js"
import { checkLimit, isNumber } from "./checks.js"
import { clamp, floorIn, loadOf } from "./measures.js"
import { make, type Limit, type Sample } from "./model.js"
import { measure, measuring, noMeasurement } from "./noLoad.js"
import type { AutoOptions, AutoState } from "./options.js"
import { atOrBelow, elasticity, leastNearBest, merge, reference, record } from "./rates.js"

/**
 * `state` with one more call in its open window. It runs on every call, so
 * it is written out field by field: V8 copies a literal of this width in a
 * tenth of the time it takes for a spread with overrides, whose copies were
 * most of the adaptive path's cost per call (`npm run bench:overhead`).
 */
const withCall = (state: AutoState, rtt: number, load: number, granted: number): AutoState => ({
  mode: state.mode,
  pin: state.pin,
  limit: state.limit,
  floor: state.floor,
  floorError: state.floorError,
  peakGood: state.peakGood,
  measuredAtMillis: state.measuredAtMillis,
  resumeAt: state.resumeAt,
  measuredCount: state.measuredCount,
  measuredSum: state.measuredSum,
  measuredSquares: state.measuredSquares,
  measuredLastGrant: state.measuredLastGrant,
  measuredCut: state.measuredCut,
  drainCount: state.drainCount,
  drainLoad: state.drainLoad,
  drainRtt: state.drainRtt,
  windowStart: state.windowStart,
  windowCount: state.windowCount + 1,
  windowSum: state.windowSum + rtt,
  windowSquares: state.windowSquares + rtt * rtt,
  windowLoad: state.windowLoad + load,
  windowLastGrant: Math.max(state.windowLastGrant, granted),
  windowCut: state.windowCut,
  rates: state.rates,
  lastGood: state.lastGood,
  doubted: state.doubted,
  probe: state.probe,
  step: state.step,
  hold: state.hold,
  decreases: state.decreases
})

/** A window of `count` calls in windows of `windowSamples` (at least one): the unit the hold counts in. */
const windowsIn = (count: number): number => Math.max(1, Math.floor(count / defaults.windowSamples))

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
      const measured = measure(state, sample, min, max)
      return measured.mode === "running" ? startWindow(measured, end) : measured
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
    const next = late ? state : withCall(state, rtt, sample.inflight, granted)
    const mean = next.windowSum / next.windowCount
    const variance = Math.max(0, next.windowSquares / next.windowCount - mean * mean)
    const windowError = Math.sqrt(variance / next.windowCount) / mean
    const load = next.windowLoad / next.windowCount
    const limit = Math.floor(state.limit)
    // Little's law: the calls a millisecond this window sustains; and, if
    // it is slower than the tolerance, the lower limit's it is compared with
    // (none: the slope there is unknown; a fast window needs none).
    const rate = load / mean
    const slowSoFar = mean > tolerance * state.floor
    const ref = slowSoFar ? reference(state.rates, limit, defaults.span) : undefined
    // Clearly slow already — even the first calls to end, the fast ones,
    // beyond the tolerance by two standard errors, and not buying throughput
    // even at the most the noise allows, with the limit in full use: judged
    // at once, so that a limit past a steep knee costs few slow calls. (Not
    // at the load they met: the first calls of a window were granted while
    // the limit filled, with fewer in flight, and among a few calls that
    // understates the rate by as much as a step of a database's gains.)
    // Judged by throughput, not before a full window's worth of calls: calls
    // in flight together share the service's stalls (and the server's own,
    // when its CPU is busy), so the first few tell less than their standard
    // error says, and a step worth a few percent is not thrown out on a
    // dozen calls that met one stall.
    const early = ref === undefined ? defaults.windowSamplesEarly : defaults.windowSamples
    const clearlySlow = next.windowCount >= early &&
      mean * (1 - 2 * windowError) > (tolerance + 2 * state.floorError) * state.floor &&
      (ref === undefined || elasticity(ref, limit, limit / mean, windowError, 2, "high") < defaults.worth)
    if (!clearlySlow) {
      if (next.windowCut === 0) {
        // Enough calls: their mean known within 4 % (one standard error), or
        // the most a window takes, or (a low limit in front of a noisy
        // service) after 50 no-load latencies: the threshold below then
        // allows for the larger error.
        // Slower than the tolerance with a slow limit below to compare with,
        // it is judged by throughput, whose gain between limits is a few
        // percent: a longer window.
        const judgedByRate = ref !== undefined
        const enough = next.windowCount >= (judgedByRate ? defaults.windowSamplesSlow : defaults.windowSamples) &&
          (windowError <= (judgedByRate ? defaults.windowErrorSlow : 0.04) || next.windowCount >= defaults.windowSamplesMax ||
            end - state.windowStart >= defaults.windowFloors * state.floor)
        return enough ? { ...next, windowCut: next.windowLastGrant } : next
      }
      if (end < next.windowCut + defaults.stragglers * mean) return next
    }

    const ratio = mean / state.floor
    const inFullUse = load >= 0.9 * limit
    // Slow: beyond the tolerance by more than two standard errors of the
    // window's mean and of the floor, so that a noisy service is not taken
    // for an overloaded one; and not worth it: the limit, in full use, did
    // not buy throughput against the lower limit's (a limit above the
    // demand proves nothing).
    const noise = Math.hypot(windowError, state.floorError)
    const slow = clearlySlow || ratio > tolerance + 2 * noise
    const overshot = limit > state.lastGood && state.lastGood > 0
    const judgedByRate = slow && !clearlySlow && inFullUse && ref !== undefined
    // A probe above the last limit found good is judged with the earlier
    // probes of that limit, merged as the rates are (the older at half its
    // weight): a step whose gain is a few percent, about the noise of one
    // window, shows in two, where each alone was thrown out, and a service
    // that pipelines was held a step below its knee.
    const measured = { limit, rate, error: windowError, slow: true }
    const probe = state.probe
    const repeated = overshot && judgedByRate && probe !== undefined && probe.limit === limit
    const evidence = repeated ? merge(probe, measured) : measured
    // A limit above the last found good must show its gain beyond the noise;
    // one found good keeps its place while its gain is above the bar, shown
    // or not: a step worth 7 % is within two standard errors of one
    // window's noise on a database, and kept to that standard it was thrown
    // out as often as it was taken, the limit a step low half the time.
    const errors = limit > state.lastGood ? defaults.worthErrors : defaults.keepErrors
    const gained = judgedByRate ? elasticity(ref, limit, evidence.rate, evidence.error, errors, "low") : 0
    const worthIt = gained >= defaults.worth
    if (slow && !worthIt) {
      // Slower than the tolerance, and not worth it. Above the last limit
      // found good, go back to the least limit whose throughput was near
      // the best measured (the knee on a steep curve, where the highest fast
      // one is already a little past it; the start of the plateau of a
      // service that overlaps its calls); at or below it (the knee moved
      // down), to the lower limit this one was judged against, or, with
      // none, to about the concurrency that ran without queuing: load /
      // √ratio, between what a linear (load / ratio) and a steep curve
      // (≈ load) would call for, at most halving.
      // Slow at the concurrency the no-load latency was measured at: that
      // measurement is wrong (a noisy one, or the service slowed for good).
      if (limit <= state.pin) {
        return measuring({ ...next, lastGood: 0, rates: [], probe: undefined }, end, state.limit, Math.max(min, Math.floor(limit / 2)))
      }
      // A limit found worth it before and now not: noise, as likely as not,
      // on a service whose gain per step is a few percent; judged again
      // before it comes down.
      if (!overshot && ref !== undefined && state.doubted !== limit) {
        return startWindow({ ...next, doubted: limit }, end)
      }
      const target = overshot
        ? ref !== undefined
          ? state.lastGood
          : Math.max(leastNearBest(state.rates, defaults.nearBest), Math.min(state.limit, load / Math.sqrt(ratio)))
        : ref !== undefined
        ? ref.limit
        : Math.max(load / Math.sqrt(ratio), state.limit / 2)
      const lowered = clamp(Math.min(state.limit, target), min, max)
      // Down to under half the highest limit found fast since the no-load
      // latency was measured: the knee halved, or that measurement was too
      // low (every window then looks slow); measure it again. The rates at
      // or below this limit stay: on a service slower from its second call,
      // a pin above `min` measures no floor, and without them every limit
      // just above the pin was judged by that latency alone and came down.
      if (lowered < state.peakGood / 2) {
        return measuring(
          { ...next, limit: lowered, lastGood: 0, rates: atOrBelow(state.rates, lowered), probe: undefined },
          end,
          lowered,
          Math.max(min, Math.floor(lowered / 2))
        )
      }
      return startWindow({
        ...next,
        limit: lowered,
        rates: atOrBelow(state.rates, lowered),
        lastGood: overshot ? state.lastGood : 0,
        probe: overshot && judgedByRate ? evidence : state.probe,
        step: 1,
        // The probe that found this limit slow took `next.windowCount`
        // calls: an M/M/c service (exponential service times) needs windows
        // of hundreds, and a hold of 16 short windows after such a probe
        // let up to a third of the time go past the knee. A probe thrown out
        // again, on the evidence of two, waits longer for the next.
        hold: ref === undefined
          ? defaults.hold * windowsIn(next.windowCount)
          : repeated
          ? defaults.holdRepeated
          : defaults.holdJudged,
        decreases: state.decreases + 1
      }, end)
    }
    // Fast enough, or worth it: good. Grow only when the limit is in full
    // use (a limit above the demand proves nothing), and only after a few
    // windows near the last overload; then by 1, 2, 4, … while it stays fast.
    if (!inFullUse) return startWindow({ ...next, decreases: 0 }, end)
    const good = {
      ...next,
      // A reference for the slope above it: a window worth its latency, or
      // one at the pin (the no-load latency). Even one whose throughput grew
      // faster than its limit against its reference: that reference is
      // stale (measured before the service got faster, its knee higher),
      // and without this window the next limit up has none, is judged by
      // latency alone and comes straight back. And one past the tolerance
      // by a standard error, though within the two that make a window
      // slow: a service slower from its second call in flight is on its
      // bend there already, and without such a reference every limit above
      // was judged by latency alone — one whose throughput levels off at 20
      // to 200 in flight got a tenth to a third of it. Below a flat
      // stretch's knee a window is within a standard error of the no-load
      // latency, and stays out.
      rates: record(state.rates, {
        limit,
        rate: evidence.rate,
        error: evidence.error,
        slow: limit <= state.pin || worthIt || ratio > tolerance + noise
      }),
      probe: state.probe?.limit === limit ? undefined : state.probe,
      lastGood: Math.max(state.lastGood, limit),
      peakGood: Math.max(state.peakGood, limit),
      decreases: 0,
      doubted: 0
    }
    // The hold counts calls (in windows of the fast kind): long windows, judged
    // by throughput, each count for several.
    if (state.hold > 0) {
      return startWindow({ ...good, hold: Math.max(0, state.hold - windowsIn(next.windowCount)) }, end)
    }
    // Past the tolerance, by a `span` at least: the next window is judged
    // against this one, far enough below for its gain to show.
    const grown = clamp(slow ? Math.max(limit + state.step, Math.ceil(limit * defaults.span)) : state.limit + state.step, min, max)
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
      rates: [],
      lastGood: 0,
      doubted: 0,
      probe: undefined,
      step: 1,
      hold: 0,
      decreases: 0
    },
    update,
    limitOf: (state) => state.mode === "measuring" ? state.pin : floorIn(state.limit, min, max)
  })
}
