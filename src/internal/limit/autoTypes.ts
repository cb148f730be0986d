/**
 * The options and state of `Limit.auto`, re-exported by `Limit`.
 *
 * @internal
 */

/**
 * The options of `Limit.auto`: all optional; `max` is the one worth giving.
 *
 * @example
 * ```ts
 * import type { Limit } from "effect-concurrency-limiter"
 *
 * const options: Limit.AutoOptions = { max: 200 }
 * ```
 *
 * @since 0.4.0
 * @category models
 */
export interface AutoOptions {
  /** The limit before any sample: an integer in [min, max]. Default 10 (within the bounds). */
  readonly initial?: number | undefined
  /** The least limit, and the concurrency the no-load latency is measured at. Default 1. */
  readonly min?: number | undefined
  /** The greatest limit. Default 1000, or `min` if higher. */
  readonly max?: number | undefined
  /**
   * How much slower than the no-load latency a window of calls may be before
   * the limit comes down, > 1, beyond the noise of the measurements. Default 1.1.
   */
  readonly tolerance?: number | undefined
  /** Measure the no-load latency again this long after the last time. Default 60 000 (a minute). */
  readonly remeasureMillis?: number | undefined
}

/**
 * The state of `Limit.auto`.
 *
 * @example
 * ```ts
 * import { Limit } from "effect-concurrency-limiter"
 *
 * Limit.auto().initial.mode // "running"
 * ```
 *
 * @since 0.4.0
 * @category models
 */
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
  /** The highest limit found fast since `floor` was measured. */
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
  /** The highest limit whose window was fast since the knee last moved down; 0 if none. */
  readonly lastGood: number
  /** Among the limits found fast since then, the one that sustained the most calls without queuing (load ÷ latency ratio), and how many. */
  readonly bestLimit: number
  readonly bestSustained: number
  /** The next increase. */
  readonly step: number
  /** Windows still to wait before growing, after a decrease. */
  readonly hold: number
  /** Decreases in a row: many suggest a stale no-load latency, which is measured again. */
  readonly decreases: number
}
