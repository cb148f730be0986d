/**
 * The options and states of the limit algorithms, shared by both Effect
 * lines (their `Limit` modules re-export them: `Limit.AimdOptions`, …).
 */
import type { Tuning } from "./model.js"
import type { RatePoint } from "./rates.js"

/** The state of `fixed`. */
export interface FixedState {
  readonly limit: number
}

/** The options of `aimd`. */
export interface AimdOptions {
  /** The limit before any sample: an integer in [min, max]. */
  readonly initial: number
  /** Default: Netflix's 20, or `initial` if lower. */
  readonly min?: number | undefined
  /** Default: Netflix's 200, or `initial` if higher. */
  readonly max?: number | undefined
  /** The factor a drop multiplies the limit by, in (0, 1). Default 0.9. */
  readonly backoffRatio?: number | undefined
  /** A successful call slower than this counts as a drop. Default 5000. */
  readonly timeoutMillis?: number | undefined
}

/** The state of `aimd`. */
export interface AimdState {
  readonly limit: number
}

/**
 * The options of `vegas`. The tunings get the current integer limit; their
 * defaults scale with `log10(limit)` = max(1, ⌊log10 limit⌋).
 */
export interface VegasOptions {
  /** The limit before any sample: an integer in [min, max]. */
  readonly initial: number
  /** Default 1 (Netflix clamps at 1). */
  readonly min?: number | undefined
  /** Default: Netflix's 1000, or `initial` if higher. */
  readonly max?: number | undefined
  /** How far each change moves toward its target, in (0, 1]. Default 1. */
  readonly smoothing?: number | undefined
  /** Measure the no-load rtt again after probeMultiplier × limit samples. Default 1000 (Netflix: 30). */
  readonly probeMultiplier?: number | undefined
  /** Below this queue, grow by `increase`. Default 3 × log10(limit). */
  readonly alpha?: Tuning | undefined
  /** Above this queue, shrink by `decrease`; at or below `threshold`, grow by it. Default 6 × log10(limit). */
  readonly beta?: Tuning | undefined
  /** At or below this queue there is no queuing: grow by `beta`. Default log10(limit). */
  readonly threshold?: Tuning | undefined
  /** The step up. Default log10(limit). */
  readonly increase?: Tuning | undefined
  /** The step down, also on a drop. Default log10(limit). */
  readonly decrease?: Tuning | undefined
}

/** The state of `vegas`. */
export interface VegasState {
  /** The limit as a float: smoothing moves it by fractions. */
  readonly estimatedLimit: number
  /** The no-load rtt the queue is estimated against, in millis; 0 before any. */
  readonly rttNoLoad: number
  /** Samples since the last probe. */
  readonly probeCount: number
  /** Probing: the limit is `min` until a call that ran alone measures the no-load rtt. */
  readonly probing: boolean
}

/** The options of `gradient2`. */
export interface Gradient2Options {
  /** The limit before any sample: an integer in [min, max]. */
  readonly initial: number
  /** Default: Netflix's 20, or `initial` if lower. */
  readonly min?: number | undefined
  /** Default: Netflix's 200, or `initial` if higher. */
  readonly max?: number | undefined
  /** How far each change moves toward its target, in (0, 1]. Default 0.2. */
  readonly smoothing?: number | undefined
  /** How much slower than the long-term rtt is still fine, ≥ 1. Default 1.5. */
  readonly rttTolerance?: number | undefined
  /** The samples the long-term rtt averages over. Default 600. */
  readonly longWindow?: number | undefined
  /** How far the limit may grow past the calls in use. Default 4. */
  readonly queueSize?: Tuning | undefined
}

/** The state of `gradient2`. */
export interface Gradient2State {
  /** The limit as a float: smoothing moves it by fractions. */
  readonly estimatedLimit: number
  /** The long-term rtt, in millis; 0 until a call that ran alone measured it. */
  readonly longRtt: number
  /** Probing: the limit is `min` until a call that ran alone gives the first long-term rtt. */
  readonly probing: boolean
  /** While probing: the load and the rtt of the call that started the probe (else 0). */
  readonly firstLoad: number
  readonly firstRtt: number
}

/** The options of `windowed`. */
export interface WindowedOptions {
  /** A window with `windowSize` samples closes after this long. Default 1000. */
  readonly minWindowMillis?: number | undefined
  /** Any window closes after this long. Default 1000, or `minWindowMillis` if higher. */
  readonly maxWindowMillis?: number | undefined
  /** The samples a window needs to be fed to the delegate. Default 10. */
  readonly windowSize?: number | undefined
  /** Calls faster than this are ignored. Default 0.1 (100 µs). */
  readonly minRttThresholdMillis?: number | undefined
}

/** The samples of an open window, aggregated. */
export interface SampleWindow {
  /** The `endMillis` of its first sample. */
  readonly startMillis: number
  /** Its samples. */
  readonly count: number
  /** Its samples with an rtt: all of them (refusals never enter a window), kept for the average. */
  readonly rttCount: number
  /** The sum of their rtts, in millis. */
  readonly rttSum: number
  /** `Infinity` while `rttCount` is 0. */
  readonly minRtt: number
  /** The highest `inflight` among its samples. */
  readonly maxInflight: number
  /** The most permits in use at a release in the window. */
  readonly maxInflightAtRelease: number
  /** Whether any of its calls failed. */
  readonly didDrop: boolean
}

/** The state of `windowed`: the delegate's, and the open window. */
export interface WindowedState<S> {
  /** The delegate's state. */
  readonly delegate: S
  /** `undefined` until a sample opens one. */
  readonly window: SampleWindow | undefined
}

/** The options of `Limit.auto`: all optional; `max` is the one worth giving. */
export interface AutoOptions {
  /** The limit before any sample: an integer in [min, max]. Default 10 (within the bounds). */
  readonly initial?: number | undefined
  /** The least limit, and the concurrency the no-load latency is measured at. Default 1. */
  readonly min?: number | undefined
  /** The greatest limit. Default 1000, or `min` if higher. */
  readonly max?: number | undefined
  /**
   * How much slower than the no-load latency a window of calls may be before
   * the limit comes down (unless the limit bought throughput against a lower
   * one), > 1, beyond the noise of the measurements. Default 1.1.
   */
  readonly tolerance?: number | undefined
  /** Measure the no-load latency again this long after the last time. Default 60 000 (a minute). */
  readonly remeasureMillis?: number | undefined
}

/** The state of `Limit.auto`. */
export interface AutoState {
  /** `"measuring"`: the limit is pinned at `min` while calls that ran alone measure the no-load latency. */
  readonly mode: "running" | "measuring"
  /** The limit while measuring: `min`, or half the last limit found fast. */
  readonly pin: number
  /** The limit as a float: growth and decreases move it by fractions. */
  readonly limit: number
  /** The no-load latency, in millis; 0 before the first measurement. */
  readonly floor: number
  /** The relative standard error of `floor`. */
  readonly floorError: number
  /** The highest limit found good (fast, or worth its latency) since `floor` was measured. */
  readonly peakGood: number
  /** When the last measurement started or ended, in the samples' millis. */
  readonly measuredAtMillis: number
  /** The limit to come back to after a measurement. */
  readonly resumeAt: number
  /** The calls measured alone so far, the sum of their rtts and of their squares. */
  readonly measuredCount: number
  readonly measuredSum: number
  readonly measuredSquares: number
  /** The latest grant among them; then, once there are enough, the last grant it takes (0 before). */
  readonly measuredLastGrant: number
  readonly measuredCut: number
  /** While measuring: the calls that had not run alone (drained), the sums of their loads and rtts. */
  readonly drainCount: number
  readonly drainLoad: number
  readonly drainRtt: number
  /** The open window: when it opened, its calls, the sum of their rtts and of their loads at grant. */
  readonly windowStart: number
  readonly windowCount: number
  readonly windowSum: number
  readonly windowSquares: number
  readonly windowLoad: number
  /** The latest grant among its calls; then, once it has enough, the last grant it takes (0 before). */
  readonly windowLastGrant: number
  readonly windowCut: number
  /**
   * The calls a millisecond each limit sustained in its last window in full
   * use (fast or worth it), ascending by limit: what a slower window is
   * judged against.
   */
  readonly rates: ReadonlyArray<RatePoint>
  /**
   * The highest limit whose window was good (fast, or worth its latency)
   * since the knee last moved down; 0 if none. A limit above it must show
   * its gain beyond the noise; one at or below it is kept while its
   * estimated gain is above the bar.
   */
  readonly lastGood: number
  /** A limit found worth it before whose last window was not: judged once more before it comes down (0: none). */
  readonly doubted: number
  /**
   * The throughput of the last probe above `lastGood` found not worth it,
   * merged with the earlier probes of that limit as `rates` are (the older
   * at half its weight): the next probe of it is judged on them too.
   */
  readonly probe: RatePoint | undefined
  /** The next increase. */
  readonly step: number
  /** Windows still to wait before growing, after a decrease. */
  readonly hold: number
  /** Decreases in a row: many suggest a stale no-load latency, which is measured again. */
  readonly decreases: number
}
