/**
 * Adaptive concurrency-limit algorithms, after Netflix's
 * [concurrency-limits](https://github.com/Netflix/concurrency-limits): each
 * one a pure state machine that turns the outcomes of guarded calls into a
 * concurrency limit. The *limiter* owns the state, feeds it a `Sample` as
 * each call ends and applies `limitOf`; the *limit* only computes, so it can
 * be tested, replayed and swapped without a clock, a fiber or a lock.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert"
 * import { Limit } from "effect-concurrency-limiter"
 *
 * const limit = Limit.windowed(Limit.gradient2({ initial: 20 }))
 * let state = limit.initial
 * state = limit.update(state, { endMillis: 1_000, rttMillis: 12, inflight: 18, outcome: "success" })
 * strictEqual(limit.limitOf(state), 20) // the window is still open
 * ```
 *
 * @since 0.3.0
 */
import { hasProperty } from "effect/Predicate"
import * as aimdImpl from "./internal/limit/aimd.js"
import * as core from "./internal/limit/core.js"
import * as fixedImpl from "./internal/limit/fixed.js"
import * as gradient2Impl from "./internal/limit/gradient2.js"
import * as vegasImpl from "./internal/limit/vegas.js"
import * as windowedImpl from "./internal/limit/windowed.js"

/**
 * Brands limits (`Symbol.for("effect-concurrency-limiter/Limit")`).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert"
 * import { Limit } from "effect-concurrency-limiter"
 *
 * strictEqual(Limit.TypeId in Limit.fixed(10), true)
 * ```
 *
 * @since 0.3.0
 * @category type ids
 */
export const TypeId: typeof core.TypeId = core.TypeId

/**
 * The type of `TypeId`.
 *
 * @example
 * ```ts
 * import type { Limit } from "effect-concurrency-limiter"
 *
 * type Branded = { readonly [K in Limit.TypeId]: Limit.TypeId }
 * ```
 *
 * @since 0.3.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * One guarded call's outcome, fed to the algorithm when the call ends.
 *
 * @example
 * ```ts
 * import { Limit } from "effect-concurrency-limiter"
 *
 * // A call that ended at 1 s, took 12 ms, and was granted with 7 permits in use.
 * const sample: Limit.Sample = { endMillis: 1_000, rttMillis: 12, inflight: 7, outcome: "success" }
 * const limit = Limit.aimd({ initial: 10 })
 * const next = limit.update(limit.initial, sample)
 * ```
 *
 * @since 0.3.0
 * @category models
 */
export interface Sample {
  /** When the call ended, in Clock millis (windows are measured with it). */
  readonly endMillis: number
  /** Round-trip time: from the grant of its permit to its release, in millis. */
  readonly rttMillis: number
  /** Permits in use when this call got its permit, itself included. */
  readonly inflight: number
  /**
   * Permits in use when it released it, itself included; absent: `inflight`.
   * A call ran alone only if both are low: calls granted together at once
   * are counted 1, 2, … at their grants, yet each ran with all the others.
   */
  readonly inflightAtRelease?: number | undefined
  /**
   * `"success"`; `"failure"`: the call failed (counts as a drop, like
   * Netflix's `onDropped`); `"dropped"`: refused by the limiter (timeout or
   * queue full), no rtt (`rttMillis` 0). The algorithms here ignore
   * `"dropped"`, as Netflix never feeds its limiter's rejections to the
   * limit; a custom `Limit` may use it.
   */
  readonly outcome: "success" | "failure" | "dropped"
}

/**
 * An algorithm: a pure state machine over samples.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert"
 * import { Limit } from "effect-concurrency-limiter"
 *
 * // The limit an algorithm reaches over recorded samples.
 * const replay = <S>(limit: Limit.Limit<S>, samples: ReadonlyArray<Limit.Sample>): number =>
 *   limit.limitOf(samples.reduce(limit.update, limit.initial))
 *
 * strictEqual(replay(Limit.fixed(10), [{ endMillis: 0, rttMillis: 5, inflight: 10, outcome: "failure" }]), 10)
 * ```
 *
 * @since 0.3.0
 * @category models
 */
export interface Limit<S = unknown> {
  readonly [TypeId]: TypeId
  /** e.g. "gradient2" — for metrics and errors. */
  readonly name: string
  /** The least limit it ever stands for. */
  readonly min: number
  /** The greatest limit it ever stands for. */
  readonly max: number
  /** The state before any sample. */
  readonly initial: S
  /** The next state. Pure: must not mutate `state`. */
  readonly update: (state: S, sample: Sample) => S
  /** The concurrency limit a state stands for: an integer in [min, max]. */
  readonly limitOf: (state: S) => number
}

/**
 * Whether a value is a `Limit`.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert"
 * import { Limit } from "effect-concurrency-limiter"
 *
 * strictEqual(Limit.isLimit(Limit.fixed(10)), true)
 * strictEqual(Limit.isLimit({ limit: 10 }), false)
 * ```
 *
 * @since 0.3.0
 * @category guards
 */
export const isLimit = (u: unknown): u is Limit => hasProperty(u, TypeId)

/**
 * A tuning value: a constant, or a function of the current integer limit
 * (Netflix's builders take a `Function<Integer, Integer>` there). It must be
 * pure; a non-finite answer leaves the limit where it is.
 *
 * @example
 * ```ts
 * import { Limit } from "effect-concurrency-limiter"
 *
 * // Let the limit grow past the calls in use by √limit rather than by 4.
 * const queueSize: Limit.Tuning = (limit) => Math.ceil(Math.sqrt(limit))
 * const limit = Limit.gradient2({ initial: 50, queueSize })
 * ```
 *
 * @since 0.3.0
 * @category models
 */
export type Tuning = core.Tuning

/**
 * The state of `fixed`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert"
 * import { Limit } from "effect-concurrency-limiter"
 *
 * const state: Limit.FixedState = Limit.fixed(8).initial
 * deepStrictEqual(state, { limit: 8 })
 * ```
 *
 * @since 0.3.0
 * @category models
 */
export interface FixedState {
  readonly limit: number
}

/**
 * A limit that never moves: what a plain `capacity` is, as a `Limit`.
 * Netflix's `FixedLimit`.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert"
 * import { Limit } from "effect-concurrency-limiter"
 *
 * const limit = Limit.fixed(10)
 * const state = limit.update(limit.initial, { endMillis: 0, rttMillis: 5_000, inflight: 10, outcome: "failure" })
 * strictEqual(limit.limitOf(state), 10)
 * ```
 *
 * @since 0.3.0
 * @category constructors
 */
export const fixed: (n: number) => Limit<FixedState> = fixedImpl.fixed

/**
 * The options of `aimd`.
 *
 * @example
 * ```ts
 * import { Limit } from "effect-concurrency-limiter"
 *
 * // Call anything slower than 250 ms a drop, and back off by a quarter.
 * const options: Limit.AimdOptions = { initial: 10, min: 2, backoffRatio: 0.75, timeoutMillis: 250 }
 * const limit = Limit.aimd(options)
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
 * import { deepStrictEqual } from "node:assert"
 * import { Limit } from "effect-concurrency-limiter"
 *
 * const state: Limit.AimdState = Limit.aimd({ initial: 10 }).initial
 * deepStrictEqual(state, { limit: 10 })
 * ```
 *
 * @since 0.3.0
 * @category models
 */
export interface AimdState {
  readonly limit: number
}

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
 * Differences from Netflix, and why:
 * - It grows only on a call granted with the whole limit in use
 *   (`inflight ≥ limit`; Netflix: half of it). A call granted before the
 *   last increase says nothing about the new limit, and counting it lets
 *   the limit double in one round trip past the knee.
 * - It backs off once per round trip: a drop from a call granted while more
 *   permits were in use than the limit now allows (`inflight > limit`)
 *   started before the last decrease, which already answered it (as TCP
 *   does). Netflix backs off per drop, so a wall of slow calls started under
 *   a high limit multiplies it down to `min`.
 * - `min` / `max` default to 20 / 200 widened to take in `initial` (Netflix
 *   only logs a warning when `initial` is outside them); `backoffRatio` may
 *   be anywhere in (0, 1) (Netflix: [0.5, 1)); the timeout is in millis.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert"
 * import { Limit, Resource } from "effect-concurrency-limiter"
 *
 * const limit = Limit.aimd({ initial: 10, min: 1 })
 * const s = limit.update(limit.initial, { endMillis: 0, rttMillis: 40, inflight: 10, outcome: "failure" })
 * strictEqual(limit.limitOf(s), 9) // ⌊10 × 0.9⌋
 *
 * const Upstream = Resource.make("Upstream", { capacity: Limit.aimd({ initial: 10, timeoutMillis: 250 }) })
 * ```
 *
 * @since 0.3.0
 * @category constructors
 */
export const aimd: (options: AimdOptions) => Limit<AimdState> = aimdImpl.aimd

/**
 * The options of `vegas`. The tunings get the current integer limit; their
 * defaults scale with `log10(limit)` = max(1, ⌊log10 limit⌋).
 *
 * @example
 * ```ts
 * import { Limit } from "effect-concurrency-limiter"
 *
 * // For a small limit: tolerate a queue of 1 to 2 calls.
 * const options: Limit.VegasOptions = { initial: 4, max: 50, alpha: 1, beta: 2, threshold: 0 }
 * const limit = Limit.vegas(options)
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
 * import { deepStrictEqual } from "node:assert"
 * import { Limit } from "effect-concurrency-limiter"
 *
 * const state: Limit.VegasState = Limit.vegas({ initial: 20 }).initial
 * deepStrictEqual(state, { estimatedLimit: 20, rttNoLoad: 0, probeCount: 0, probing: false })
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
 * Differences from Netflix, and why:
 * - The no-load rtt is measured on a call that ran alone: at the first
 *   sample, and every `probeMultiplier × limit` samples, the limit drops to
 *   `min` until a call granted and released with at most `min` in flight
 *   ends, whose rtt becomes `rtt_noload` (as TCP BBR's ProbeRTT). Netflix
 *   takes the first sample's rtt, and at each probe the next one's: under
 *   overload both are overloaded rtts, which Vegas then takes for no load
 *   and never comes down from. As a probe drains the limit for a round trip,
 *   it is rarer: every 1000 × limit samples (Netflix: 30, with jitter; here
 *   none, so that the state machine stays pure and replayable).
 * - Over `beta` it sheds the whole excess queue at once, and once per round
 *   trip: a call granted while more permits were in use than the limit now
 *   allows started before the last decrease. Netflix sheds `decrease` per
 *   sample: from 200 that takes a hundred calls as slow as the overload,
 *   and near the knee a round trip of samples saws the limit down by as
 *   many as there are calls.
 * - It grows only on a call granted with the whole limit in use (Netflix:
 *   half of it), so that calls granted before an increase do not raise it
 *   again.
 * - A call without an rtt (under the clock's resolution) only shrinks the
 *   limit if it failed (Netflix requires rtt > 0). `increase` / `decrease` are steps, where Netflix's functions
 *   return the new limit (the defaults are the same: limit ± log10(limit)).
 *   `min` is an option (Netflix: always 1). Above 1000, Netflix's
 *   `Log10RootFunction` switches to a square root; the default here stays
 *   log10, like Netflix's newer `Log10RootIntFunction`. `limitOf` rounds
 *   down, as Java's `(int)` does.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert"
 * import { Limit } from "effect-concurrency-limiter"
 *
 * const limit = Limit.vegas({ initial: 20 })
 * const samples: ReadonlyArray<Limit.Sample> = [
 *   { endMillis: 0, rttMillis: 10, inflight: 1, outcome: "success" }, // ran alone: rtt_noload 10
 *   { endMillis: 1, rttMillis: 10, inflight: 20, outcome: "success" } // no queue, in full use: + beta
 * ]
 * strictEqual(limit.limitOf(samples.reduce(limit.update, limit.initial)), 26)
 * ```
 *
 * @since 0.3.0
 * @category constructors
 */
export const vegas: (options: VegasOptions) => Limit<VegasState> = vegasImpl.vegas

/**
 * The options of `gradient2`.
 *
 * @example
 * ```ts
 * import { Limit } from "effect-concurrency-limiter"
 *
 * // For a small limit: one call of headroom, no latency tolerance, in 200 ms windows.
 * const options: Limit.Gradient2Options = { initial: 8, min: 1, max: 50, queueSize: 1, rttTolerance: 1 }
 * const limit = Limit.windowed(Limit.gradient2(options), { minWindowMillis: 200, maxWindowMillis: 200 })
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
 * import { deepStrictEqual } from "node:assert"
 * import { Limit } from "effect-concurrency-limiter"
 *
 * const state: Limit.Gradient2State = Limit.gradient2({ initial: 20 }).initial
 * deepStrictEqual(state, { estimatedLimit: 20, longRtt: 0, probing: false, firstLoad: 0, firstRtt: 0 })
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
 * Differences from Netflix, and why:
 * - The first long rtt is measured on a call that ran alone: until one
 *   granted and released with at most `min` in flight has ended, the limit
 *   is `min`. Then the limit resumes at the concurrency the first calls
 *   would have had without queuing — their load × the no-load rtt / their
 *   rtt (Little's law) — if that is lower. Netflix averages the first ten
 *   samples whatever the load: a limit started far too high learns the
 *   overload as normal and never comes down.
 * - It grows only on a call granted with the whole limit in use (Netflix:
 *   it neither grows nor shrinks under half of it), so calls granted before
 *   an increase do not raise it again; it shrinks on any slow call.
 * - Like Netflix, it ignores whether a call failed (its latency still
 *   counts); a sample without an rtt (a refusal, or a call under the clock's
 *   resolution) is skipped, where Netflix's nanosecond rtts are never 0.
 *   `min` / `max` default to 20 / 200 widened to take in `initial`.
 *   `limitOf` rounds down, as Java's `(int)` does.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert"
 * import { Limit } from "effect-concurrency-limiter"
 *
 * const limit = Limit.gradient2({ initial: 20, min: 1 })
 * const first = limit.update(limit.initial, { endMillis: 0, rttMillis: 10, inflight: 1, outcome: "success" })
 * const s = limit.update(first, { endMillis: 1, rttMillis: 10, inflight: 20, outcome: "success" })
 * strictEqual(limit.limitOf(s), 20) // 20 × 0.8 + (20 × 1 + 4) × 0.2 = 20.8, rounded down
 * ```
 *
 * @since 0.3.0
 * @category constructors
 */
export const gradient2: (options: Gradient2Options) => Limit<Gradient2State> = gradient2Impl.gradient2

/**
 * The options of `windowed`.
 *
 * @example
 * ```ts
 * import { Limit } from "effect-concurrency-limiter"
 *
 * const options: Limit.WindowedOptions = { minWindowMillis: 500, maxWindowMillis: 2_000, windowSize: 20 }
 * const limit = Limit.windowed(Limit.vegas({ initial: 20 }), options)
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
 * const averageRtt = (window: Limit.SampleWindow): number =>
 *   window.rttCount === 0 ? 0 : window.rttSum / window.rttCount
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
 * import { deepStrictEqual } from "node:assert"
 * import { Limit } from "effect-concurrency-limiter"
 *
 * const state: Limit.WindowedState<Limit.AimdState> = Limit.windowed(Limit.aimd({ initial: 10 })).initial
 * deepStrictEqual(state, { delegate: { limit: 10 }, window: undefined })
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
 * Differences from Netflix: a window starts at its first sample (Netflix's
 * ends where the previous one's end plus the duration falls, and its first
 * closes at once); a window with a failure is fed as a `"failure"`; the
 * aggregate also carries the highest count in use at a release
 * (`inflightAtRelease`). Netflix requires `windowSize` ≥ 10 and windows
 * ≥ 100 ms; here any positive value is allowed.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert"
 * import { Limit, Resource } from "effect-concurrency-limiter"
 *
 * const limit = Limit.windowed(Limit.gradient2({ initial: 20 }), { minWindowMillis: 500 })
 * strictEqual(limit.name, "windowed(gradient2)")
 *
 * const Upstream = Resource.make("Upstream", { capacity: limit })
 * ```
 *
 * @since 0.3.0
 * @category constructors
 */
export const windowed: <S>(delegate: Limit<S>, options?: WindowedOptions) => Limit<WindowedState<S>> =
  windowedImpl.windowed
