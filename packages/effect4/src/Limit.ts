/**
 * Adaptive concurrency-limit algorithms, after Netflix's
 * [concurrency-limits](https://github.com/Netflix/concurrency-limits): each
 * one a pure state machine that turns the outcomes of guarded calls into a
 * concurrency limit. The *limiter* owns the state, feeds it a `Sample` as
 * each call ends and applies `limitOf`; the *limit* only computes, so it can
 * be tested, replayed and swapped without a clock, a fiber or a lock.
 * `auto` is the recommended default: untuned, it finds the knee of a service
 * whose latency is flat until it saturates, and follows the throughput of
 * one that overlaps its calls (a database) past its no-load latency.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert"
 * import { Limit } from "@effect-concurrency-limiter/effect4"
 *
 * const limit = Limit.windowed(Limit.gradient2({ initial: 20 }))
 * let state = limit.initial
 * state = limit.update(state, { endMillis: 1_000, rttMillis: 12, inflight: 18, outcome: "success" })
 * strictEqual(limit.limitOf(state), 20) // the window is still open
 * ```
 *
 * @since 0.6.0
 */
import "./internal/nodeVersion.js"
import * as aimdImpl from "@effect-concurrency-limiter/core/limit/aimd"
import * as autoImpl from "@effect-concurrency-limiter/core/limit/auto"
import * as fixedImpl from "@effect-concurrency-limiter/core/limit/fixed"
import * as gradient2Impl from "@effect-concurrency-limiter/core/limit/gradient2"
import * as core from "@effect-concurrency-limiter/core/limit/model"
import * as vegasImpl from "@effect-concurrency-limiter/core/limit/vegas"
import * as windowedImpl from "@effect-concurrency-limiter/core/limit/windowed"
import { rethrowInvalid } from "./internal/invalidOption.js"
import type {
  AimdOptions,
  AimdState,
  AutoOptions,
  AutoState,
  FixedState,
  Gradient2Options,
  Gradient2State,
  VegasOptions,
  VegasState,
  WindowedOptions,
  WindowedState
} from "./LimitOptions.js"

/**
 * Brands limits (`Symbol.for("effect-concurrency-limiter/Limit")`).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert"
 * import { Limit } from "@effect-concurrency-limiter/effect4"
 *
 * strictEqual(Limit.TypeId in Limit.fixed(10), true)
 * ```
 *
 * @since 0.6.0
 * @category type ids
 */
export const TypeId: typeof core.TypeId = core.TypeId

/**
 * The type of `TypeId`.
 *
 * @example
 * ```ts
 * import type { Limit } from "@effect-concurrency-limiter/effect4"
 *
 * type Branded = { readonly [K in Limit.TypeId]: Limit.TypeId }
 * ```
 *
 * @since 0.6.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * One guarded call's outcome, fed to the algorithm when the call ends.
 *
 * @example
 * ```ts
 * import { Limit } from "@effect-concurrency-limiter/effect4"
 *
 * // A call that ended at 1 s, took 12 ms, and was granted with 7 permits in use.
 * const sample: Limit.Sample = { endMillis: 1_000, rttMillis: 12, inflight: 7, outcome: "success" }
 * const limit = Limit.aimd({ initial: 10 })
 * const next = limit.update(limit.initial, sample)
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export interface Sample extends core.Sample {}

/**
 * An algorithm: a pure state machine over samples.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert"
 * import { Limit } from "@effect-concurrency-limiter/effect4"
 *
 * // The limit an algorithm reaches over recorded samples.
 * const replay = <S>(limit: Limit.Limit<S>, samples: ReadonlyArray<Limit.Sample>): number =>
 *   limit.limitOf(samples.reduce(limit.update, limit.initial))
 *
 * strictEqual(replay(Limit.fixed(10), [{ endMillis: 0, rttMillis: 5, inflight: 10, outcome: "failure" }]), 10)
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export interface Limit<S = unknown> extends core.Limit<S> {}

/**
 * Whether a value is a `Limit`.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert"
 * import { Limit } from "@effect-concurrency-limiter/effect4"
 *
 * strictEqual(Limit.isLimit(Limit.fixed(10)), true)
 * strictEqual(Limit.isLimit({ limit: 10 }), false)
 * ```
 *
 * @since 0.6.0
 * @category guards
 */
export const isLimit: (u: unknown) => u is Limit = core.isLimit

/**
 * A tuning value: a constant, or a function of the current integer limit
 * (Netflix's builders take a `Function<Integer, Integer>` there). It must be
 * pure; a non-finite answer leaves the limit where it is.
 *
 * @example
 * ```ts
 * import { Limit } from "@effect-concurrency-limiter/effect4"
 *
 * // Let the limit grow past the calls in use by √limit rather than by 4.
 * const queueSize: Limit.Tuning = (limit) => Math.ceil(Math.sqrt(limit))
 * const limit = Limit.gradient2({ initial: 50, queueSize })
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export type Tuning = core.Tuning

/**
 * A limit that never moves: what a plain `capacity` is, as a `Limit`.
 * Netflix's `FixedLimit`.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert"
 * import { Limit } from "@effect-concurrency-limiter/effect4"
 *
 * const limit = Limit.fixed(10)
 * const state = limit.update(limit.initial, { endMillis: 0, rttMillis: 5_000, inflight: 10, outcome: "failure" })
 * strictEqual(limit.limitOf(state), 10)
 * ```
 *
 * @since 0.6.0
 * @category constructors
 */
export const fixed = (n: number): Limit<FixedState> => rethrowInvalid(() => fixedImpl.fixed(n))

/**
 * Loss-based: +1 per success, × `backoffRatio` (rounded down) per drop — a
 * failure, or a success slower than `timeoutMillis` — within [min, max].
 * The limiter's own refusals change nothing: they say that more calls want
 * in than the limit lets through, not that the service struggles (Netflix
 * never feeds them to the limit). Netflix's `AIMDLimit`.
 *
 * `timeoutMillis` is the latency you call too slow: a little above the
 * service's no-load latency (e.g. 1.25 ×) makes AIMD find the knee where
 * latency starts to climb; Netflix's 5 s only reacts to a service that is
 * drowning.
 *
 * Where it differs from Netflix's, and why: docs/adaptive-simulation.md,
 * "Differences from Netflix, per algorithm".
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert"
 * import { Limit, Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const limit = Limit.aimd({ initial: 10, min: 1 })
 * const s = limit.update(limit.initial, { endMillis: 0, rttMillis: 40, inflight: 10, outcome: "failure" })
 * strictEqual(limit.limitOf(s), 9) // ⌊10 × 0.9⌋
 *
 * const Upstream = Resource.make("Upstream", { capacity: Limit.aimd({ initial: 10, timeoutMillis: 250 }) })
 * ```
 *
 * @since 0.6.0
 * @category constructors
 */
export const aimd = (options: AimdOptions): Limit<AimdState> => rethrowInvalid(() => aimdImpl.aimd(options))

/**
 * Delay-based, after TCP Vegas: the calls queued are estimated as
 * `queue = ⌈limit × (1 − rtt_noload / rtt)⌉`, `rtt_noload` being the least
 * rtt seen. At or under `threshold` the limit grows by `beta`, under `alpha`
 * by `increase`, over `beta` it sheds the calls queued past `beta` (at least
 * `decrease`), in between it stays. A failure shrinks it by `decrease`;
 * the limiter's own refusals change nothing (as in Netflix, where they never
 * reach the limit).
 * Netflix's `VegasLimit`.
 *
 * The defaults (alpha 3, beta 6 below a limit of 100) tolerate a queue of 3
 * to 6 calls: right for limits in the tens to hundreds, twice the knee of a
 * service that takes 6. For small limits give `alpha: 1, beta: 2,
 * threshold: 0`.
 *
 * Where it differs from Netflix's, and why: docs/adaptive-simulation.md,
 * "Differences from Netflix, per algorithm".
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert"
 * import { Limit } from "@effect-concurrency-limiter/effect4"
 *
 * const limit = Limit.vegas({ initial: 20 })
 * const samples: ReadonlyArray<Limit.Sample> = [
 *   { endMillis: 0, rttMillis: 10, inflight: 1, outcome: "success" }, // ran alone: rtt_noload 10
 *   { endMillis: 1, rttMillis: 10, inflight: 20, outcome: "success" } // no queue, in full use: + beta
 * ]
 * strictEqual(limit.limitOf(samples.reduce(limit.update, limit.initial)), 26)
 * ```
 *
 * @since 0.6.0
 * @category constructors
 */
export const vegas = (options: VegasOptions): Limit<VegasState> => rethrowInvalid(() => vegasImpl.vegas(options))

/**
 * Compares the short-term rtt (the sample's; the window's average under
 * `windowed`) with a long-term one, an exponential average over `longWindow`
 * samples:
 *
 * - `gradient = max(0.5, min(1, rttTolerance × longRtt / shortRtt))`
 * - `target = limit × gradient + queueSize`
 * - `limit = clamp(limit × (1 − smoothing) + target × smoothing, min, max)`
 *
 * so the limit creeps up by `queueSize × smoothing` while latency holds,
 * and sheds at most half per sample when it does not. When the long rtt is
 * more than twice the short one (latency back to normal after a long
 * overload), it decays by 5% per sample instead of waiting for the average.
 * Netflix's `Gradient2Limit` with `ExpAvgMeasurement`.
 *
 * Its long rtt follows the latencies it sees, so it tolerates a service
 * that slows down for good, and sits where latency is about `rttTolerance`
 * × its recent average: with Netflix's defaults (queue 4, tolerance 1.5),
 * about twice the knee of a service that takes 6. For small limits, give
 * `queueSize: 1, rttTolerance: 1` and wrap it in `windowed` (200 ms
 * windows): per call, it saws one or two above the knee.
 *
 * Where it differs from Netflix's, and why: docs/adaptive-simulation.md,
 * "Differences from Netflix, per algorithm".
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert"
 * import { Limit } from "@effect-concurrency-limiter/effect4"
 *
 * const limit = Limit.gradient2({ initial: 20, min: 1 })
 * const first = limit.update(limit.initial, { endMillis: 0, rttMillis: 10, inflight: 1, outcome: "success" })
 * const s = limit.update(first, { endMillis: 1, rttMillis: 10, inflight: 20, outcome: "success" })
 * strictEqual(limit.limitOf(s), 20) // 20 × 0.8 + (20 × 1 + 4) × 0.2 = 20.8, rounded down
 * ```
 *
 * @since 0.6.0
 * @category constructors
 */
export const gradient2 = (options: Gradient2Options): Limit<Gradient2State> => rethrowInvalid(() => gradient2Impl.gradient2(options))

/**
 * Feeds `delegate` one sample per window instead of one per call: the
 * window's average rtt, its highest inflight, and whether any call failed.
 * A window opens with its first sample and closes once it has `windowSize`
 * samples and lasts `max(2 × its least rtt, minWindowMillis)` (so it holds
 * whole calls), or once it lasts `maxWindowMillis`; a window that closes
 * with fewer than `windowSize` samples is discarded. Calls faster than
 * `minRttThresholdMillis` are ignored, and so are the limiter's own
 * refusals (as Netflix never feeds them to the limit: they say that more
 * calls want in than the limit lets through, not how the service fares).
 * Netflix's `WindowedLimit` with `AverageSampleWindow`.
 *
 * Where it differs from Netflix's, and why: docs/adaptive-simulation.md,
 * "Differences from Netflix, per algorithm".
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert"
 * import { Limit, Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const limit = Limit.windowed(Limit.gradient2({ initial: 20 }), { minWindowMillis: 500 })
 * strictEqual(limit.name, "windowed(gradient2)")
 *
 * const Upstream = Resource.make("Upstream", { capacity: limit })
 * ```
 *
 * @since 0.6.0
 * @category constructors
 */
export const windowed = <S>(delegate: Limit<S>, options?: WindowedOptions): Limit<WindowedState<S>> =>
  rethrowInvalid(() => windowedImpl.windowed(delegate, options))

/**
 * The options and states of the algorithms (`AimdOptions`, `AutoState`, …),
 * documented in the `LimitOptions` module.
 *
 * @example
 * ```ts
 * import type { Limit } from "@effect-concurrency-limiter/effect4"
 *
 * const options: Limit.VegasOptions = { initial: 20, max: 500 }
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export * from "./LimitOptions.js"

/**
 * The recommended adaptive limit: it finds the knee of a service — the most
 * calls in flight before latency rises — without being tuned. Give it a
 * `max` (the most the service should ever see) and nothing else.
 *
 * How: it measures the no-load latency by pinning the limit at `min` for a
 * few dozen calls (at the first call, then every `remeasureMillis`, as
 * Envoy's adaptive concurrency does), then judges windows of calls granted
 * under the current limit against it. A fast window with the limit in full
 * use lets it grow, slowly near the last overload and faster away from it,
 * so that a knee that moves up is found within seconds. A window slower
 * than `tolerance` × that latency (plus the noise of both measurements) is
 * still good if the limit bought throughput (Little's law: load ÷ latency)
 * against a limit about a quarter lower that was itself past the tolerance
 * (by a standard error), by a gain that shows beyond the noise (at least
 * 0.04 of the log of the limit's rise, two standard errors low): calls
 * queued for the limit wait less for any sure gain. Otherwise it
 * brings the limit back to the least limit whose throughput was near the
 * best measured, or down to about the concurrency that ran without queuing.
 *
 * Pure and replayable, like every `Limit`: windows are measured with the
 * samples' own `endMillis`. `npm run sim:adaptive` measures it against
 * knees of 3 to 200 and five latency curves (docs/adaptive-simulation.md),
 * including one that overlaps its calls, like a database on few cores
 * (slower at 2 in flight than at 1, yet serving more): on that one it gets
 * 0.89–0.94× the best fixed limit's throughput at every knee, settling a
 * little below the knee, where the throughput gained per step hides in the
 * noise.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert"
 * import { Limit } from "@effect-concurrency-limiter/effect4"
 *
 * const limit = Limit.auto({ max: 200 })
 * const first = limit.update(limit.initial, { endMillis: 0, rttMillis: 20, inflight: 10, outcome: "success" })
 * strictEqual(limit.limitOf(first), 1) // pinned at min while it measures the no-load latency
 * ```
 *
 * @since 0.6.0
 * @category constructors
 */
export const auto = (options?: AutoOptions): Limit<AutoState> => rethrowInvalid(() => autoImpl.auto(options))
