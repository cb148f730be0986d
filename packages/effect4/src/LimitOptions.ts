/**
 * The options and states of the algorithms of `Limit`, which re-exports
 * them all: write `Limit.AimdOptions`, `Limit.AutoState`, … Kept apart so
 * that each module stays readable. The fields are documented where they
 * are defined, in the shared core (`@effect-concurrency-limiter/core`'s
 * `limit/options`), so that both Effect lines show the same.
 *
 * @example
 * ```ts
 * import type { Limit } from "@effect-concurrency-limiter/effect4"
 *
 * const options: Limit.AutoOptions = { max: 200 }
 * ```
 *
 * @since 0.6.0
 */
import "./internal/nodeVersion.js"
import type * as core from "@effect-concurrency-limiter/core/limit/options"

/**
 * The state of `fixed`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert"
 * import { Limit } from "@effect-concurrency-limiter/effect4"
 *
 * const state: Limit.FixedState = Limit.fixed(8).initial
 * deepStrictEqual(state, { limit: 8 })
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export interface FixedState extends core.FixedState {}

/**
 * The options of `aimd`.
 *
 * @example
 * ```ts
 * import { Limit } from "@effect-concurrency-limiter/effect4"
 *
 * // Call anything slower than 250 ms a drop, and back off by a quarter.
 * const options: Limit.AimdOptions = { initial: 10, min: 2, backoffRatio: 0.75, timeoutMillis: 250 }
 * const limit = Limit.aimd(options)
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export interface AimdOptions extends core.AimdOptions {}

/**
 * The state of `aimd`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert"
 * import { Limit } from "@effect-concurrency-limiter/effect4"
 *
 * const state: Limit.AimdState = Limit.aimd({ initial: 10 }).initial
 * deepStrictEqual(state, { limit: 10 })
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export interface AimdState extends core.AimdState {}

/**
 * The options of `vegas`. The tunings get the current integer limit; their
 * defaults scale with `log10(limit)` = max(1, ⌊log10 limit⌋).
 *
 * @example
 * ```ts
 * import { Limit } from "@effect-concurrency-limiter/effect4"
 *
 * // For a small limit: tolerate a queue of 1 to 2 calls.
 * const options: Limit.VegasOptions = { initial: 4, max: 50, alpha: 1, beta: 2, threshold: 0 }
 * const limit = Limit.vegas(options)
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export interface VegasOptions extends core.VegasOptions {}

/**
 * The state of `vegas`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert"
 * import { Limit } from "@effect-concurrency-limiter/effect4"
 *
 * const state: Limit.VegasState = Limit.vegas({ initial: 20 }).initial
 * deepStrictEqual(state, { estimatedLimit: 20, rttNoLoad: 0, probeCount: 0, probing: false })
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export interface VegasState extends core.VegasState {}

/**
 * The options of `gradient2`.
 *
 * @example
 * ```ts
 * import { Limit } from "@effect-concurrency-limiter/effect4"
 *
 * // For a small limit: one call of headroom, no latency tolerance, in 200 ms windows.
 * const options: Limit.Gradient2Options = { initial: 8, min: 1, max: 50, queueSize: 1, rttTolerance: 1 }
 * const limit = Limit.windowed(Limit.gradient2(options), { minWindowMillis: 200, maxWindowMillis: 200 })
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export interface Gradient2Options extends core.Gradient2Options {}

/**
 * The state of `gradient2`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert"
 * import { Limit } from "@effect-concurrency-limiter/effect4"
 *
 * const state: Limit.Gradient2State = Limit.gradient2({ initial: 20 }).initial
 * deepStrictEqual(state, { estimatedLimit: 20, longRtt: 0, probing: false, firstLoad: 0, firstRtt: 0 })
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export interface Gradient2State extends core.Gradient2State {}

/**
 * The options of `windowed`.
 *
 * @example
 * ```ts
 * import { Limit } from "@effect-concurrency-limiter/effect4"
 *
 * const options: Limit.WindowedOptions = { minWindowMillis: 500, maxWindowMillis: 2_000, windowSize: 20 }
 * const limit = Limit.windowed(Limit.vegas({ initial: 20 }), options)
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export interface WindowedOptions extends core.WindowedOptions {}

/**
 * The samples of an open window, aggregated.
 *
 * @example
 * ```ts
 * import type { Limit } from "@effect-concurrency-limiter/effect4"
 *
 * const averageRtt = (window: Limit.SampleWindow): number =>
 *   window.rttCount === 0 ? 0 : window.rttSum / window.rttCount
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export interface SampleWindow extends core.SampleWindow {}

/**
 * The state of `windowed`: the delegate's, and the open window.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert"
 * import { Limit } from "@effect-concurrency-limiter/effect4"
 *
 * const state: Limit.WindowedState<Limit.AimdState> = Limit.windowed(Limit.aimd({ initial: 10 })).initial
 * deepStrictEqual(state, { delegate: { limit: 10 }, window: undefined })
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export interface WindowedState<S> extends core.WindowedState<S> {}

/**
 * The options of `Limit.auto`: all optional; `max` is the one worth giving.
 *
 * @example
 * ```ts
 * import type { Limit } from "@effect-concurrency-limiter/effect4"
 *
 * const options: Limit.AutoOptions = { max: 200 }
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export interface AutoOptions extends core.AutoOptions {}

/**
 * The state of `Limit.auto`.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert"
 * import { Limit } from "@effect-concurrency-limiter/effect4"
 *
 * strictEqual(Limit.auto().initial.mode, "running")
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export interface AutoState extends core.AutoState {}
