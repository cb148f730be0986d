/**
 * The options and states of the algorithms in `Limit`, which re-exports them.
 *
 * @internal
 */
import type { Tuning } from "./core.js"

/**
 * The state of `fixed`.
 *
 * @example
 * ```ts
 * import { Limit } from "effect-concurrency-limiter"
 *
 * Limit.fixed(8).initial // { limit: 8 }
 * ```
 *
 * @since 0.3.0
 * @category models
 */
export interface FixedState {
  readonly limit: number
}

/**
 * The options of `aimd`.
 *
 * @example
 * ```ts
 * import type { Limit } from "effect-concurrency-limiter"
 *
 * const options: Limit.AimdOptions = { initial: 10, min: 2, backoffRatio: 0.75 }
 * ```
 *
 * @since 0.3.0
 * @category models
 */
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

/**
 * The state of `aimd`.
 *
 * @example
 * ```ts
 * import { Limit } from "effect-concurrency-limiter"
 *
 * Limit.aimd({ initial: 10 }).initial // { limit: 10 }
 * ```
 *
 * @since 0.3.0
 * @category models
 */
export interface AimdState {
  readonly limit: number
}

/**
 * The options of `vegas`. The tunings get the current integer limit; their
 * defaults scale with `log10(limit)` = max(1, ⌊log10 limit⌋).
 *
 * @example
 * ```ts
 * import type { Limit } from "effect-concurrency-limiter"
 *
 * const options: Limit.VegasOptions = { initial: 20, max: 500, smoothing: 0.5 }
 * ```
 *
 * @since 0.3.0
 * @category models
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

/**
 * The state of `vegas`.
 *
 * @example
 * ```ts
 * import { Limit } from "effect-concurrency-limiter"
 *
 * Limit.vegas({ initial: 20 }).initial // { estimatedLimit: 20, rttNoLoad: 0, probeCount: 0, probing: false }
 * ```
 *
 * @since 0.3.0
 * @category models
 */
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

/**
 * The options of `gradient2`.
 *
 * @example
 * ```ts
 * import type { Limit } from "effect-concurrency-limiter"
 *
 * const options: Limit.Gradient2Options = { initial: 50, min: 10, max: 400, rttTolerance: 2 }
 * ```
 *
 * @since 0.3.0
 * @category models
 */
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

/**
 * The state of `gradient2`.
 *
 * @example
 * ```ts
 * import { Limit } from "effect-concurrency-limiter"
 *
 * Limit.gradient2({ initial: 20 }).initial // { estimatedLimit: 20, longRtt: 0, probing: false, firstLoad: 0, firstRtt: 0 }
 * ```
 *
 * @since 0.3.0
 * @category models
 */
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

/**
 * The options of `windowed`.
 *
 * @example
 * ```ts
 * import type { Limit } from "effect-concurrency-limiter"
 *
 * const options: Limit.WindowedOptions = { minWindowMillis: 500, maxWindowMillis: 2_000, windowSize: 20 }
 * ```
 *
 * @since 0.3.0
 * @category models
 */
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

/**
 * The samples of an open window, aggregated.
 *
 * @example
 * ```ts
 * import type { Limit } from "effect-concurrency-limiter"
 *
 * const averageRtt = (w: Limit.SampleWindow) => (w.rttCount === 0 ? 0 : w.rttSum / w.rttCount)
 * ```
 *
 * @since 0.3.0
 * @category models
 */
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

/**
 * The state of `windowed`: the delegate's, and the open window.
 *
 * @example
 * ```ts
 * import { Limit } from "effect-concurrency-limiter"
 *
 * Limit.windowed(Limit.aimd({ initial: 10 })).initial // { delegate: { limit: 10 }, window: undefined }
 * ```
 *
 * @since 0.3.0
 * @category models
 */
export interface WindowedState<S> {
  /** The delegate's state. */
  readonly delegate: S
  /** `undefined` until a sample opens one. */
  readonly window: SampleWindow | undefined
}
