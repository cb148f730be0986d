/**
 * Concurrency limiting for Effect: named resources with a capacity, a queue
 * for the excess (FIFO or LIFO, bounded, partitioned with guaranteed shares),
 * a prompt typed `BusyError` (HTTP 503) for any request that would wait
 * longer than a timeout, and metrics.
 *
 * @since 0.1.0
 */

/**
 * The error of a request that could not acquire its resources in time; it
 * renders itself as HTTP 503.
 *
 * @example
 * ```ts
 * import { Duration } from "effect"
 * import { BusyError } from "effect-concurrency-limiter"
 *
 * const error = new BusyError.BusyError({ resource: "Db", waited: Duration.seconds(2) })
 * ```
 *
 * @since 0.1.0
 */
export * as BusyError from "./BusyError.js"

/**
 * An `HttpClient` whose requests hold permits of the listed resources, keep
 * to a rate and retry on 429 and 503.
 *
 * @example
 * ```ts
 * import { FetchHttpClient } from "@effect/platform"
 * import { Layer } from "effect"
 * import { LimitedHttpClient, Limiter, Resource } from "effect-concurrency-limiter"
 *
 * const Api = Resource.make("Api", { capacity: 10 })
 *
 * const HttpClientLive = LimitedHttpClient.layer({ resources: [Api] }).pipe(
 *   Layer.provide(FetchHttpClient.layer),
 *   Layer.provide(Limiter.layer({ timeout: "10 seconds", resources: [Api] }))
 * )
 * ```
 *
 * @since 0.2.0
 */
export * as LimitedHttpClient from "./LimitedHttpClient.js"

/**
 * The options of `LimitedHttpClient` (types only; `LimitedHttpClient`
 * re-exports them, as `LimitedHttpClient.Options` and so on).
 *
 * @example
 * ```ts
 * import type { LimitedHttpClientOptions } from "effect-concurrency-limiter"
 *
 * export const retry: LimitedHttpClientOptions.RetryOptions = { times: 5 }
 * ```
 *
 * @since 0.5.0
 */
export * as LimitedHttpClientOptions from "./LimitedHttpClientOptions.js"

/**
 * The limiter service, its layer, and the guards that take permits.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Limiter, Resource } from "effect-concurrency-limiter"
 *
 * const Db = Resource.make("Db", { capacity: 5 })
 *
 * const query = Effect.succeed(["row"]).pipe(Limiter.withResources([Db]))
 * const program = query.pipe(Effect.provide(Limiter.layer({ timeout: "2 seconds", resources: [Db] })))
 * ```
 *
 * @since 0.1.0
 */
export * as Limiter from "./Limiter.js"

/**
 * The options of `Limiter.layer` and its guards, and the checks of a
 * guard's list of resources (types only; `Limiter` re-exports them, as
 * `Limiter.Options` and so on).
 *
 * @example
 * ```ts
 * import type { LimiterOptions } from "effect-concurrency-limiter"
 *
 * export const slow: LimiterOptions.WithResourcesOptions = { timeout: "30 seconds" }
 * ```
 *
 * @since 0.5.0
 */
export * as LimiterOptions from "./LimiterOptions.js"

/**
 * The error of a `Limiter` layer built from bad options.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { LimiterConfigError } from "effect-concurrency-limiter"
 *
 * const report = (error: LimiterConfigError.LimiterConfigError) =>
 *   Effect.logError(`Option ${error.field}: got ${error.value}, expected ${error.expected}`)
 * ```
 *
 * @since 0.1.0
 */
export * as LimiterConfigError from "./LimiterConfigError.js"

/**
 * Named resources (a database, a paid upstream API) and their capacities.
 *
 * @example
 * ```ts
 * import { Resource } from "effect-concurrency-limiter"
 *
 * const Db = Resource.make("Db", { capacity: 5, maxWaiting: 50 })
 * ```
 *
 * @since 0.1.0
 */
export * as Resource from "./Resource.js"

/**
 * A strict FIFO semaphore that implements `Effect.Semaphore`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Semaphore } from "effect-concurrency-limiter"
 *
 * const program = Effect.flatMap(Semaphore.make(2), (sem) => sem.withPermits(1)(Effect.log("one of two")))
 * ```
 *
 * @since 0.1.0
 */
export * as Semaphore from "./Semaphore.js"

/**
 * The limiter's metrics, as Effect `Metric`s.
 *
 * @example
 * ```ts
 * import { Metric } from "effect"
 * import { Metrics } from "effect-concurrency-limiter"
 *
 * const dbWaiting = Metric.value(Metrics.series(Metrics.waiting, { resource: "Db" }))
 * ```
 *
 * @since 0.3.0
 */
export * as Metrics from "./Metrics.js"

/**
 * Adaptive concurrency limits, for a capacity that follows the service's
 * latency: `auto` (the recommended default, untuned), and Netflix's AIMD,
 * Vegas and Gradient2.
 *
 * @example
 * ```ts
 * import { Limit, Resource } from "effect-concurrency-limiter"
 *
 * const Upstream = Resource.make("Upstream", { capacity: Limit.auto({ max: 200 }) })
 * ```
 *
 * @since 0.3.0
 */
export * as Limit from "./Limit.js"

/**
 * The options and states of the `Limit` algorithms (types only; `Limit`
 * re-exports them, as `Limit.AutoOptions` and so on).
 *
 * @example
 * ```ts
 * import type { LimitOptions } from "effect-concurrency-limiter"
 *
 * export const options: LimitOptions.AutoOptions = { max: 200 }
 * ```
 *
 * @since 0.5.0
 */
export * as LimitOptions from "./LimitOptions.js"

/**
 * One limit across replicas: the `Limiter` with its permits held in Redis.
 *
 * @example
 * ```ts
 * import { Config } from "effect"
 * import { RedisLimiter, Resource } from "effect-concurrency-limiter"
 *
 * const Db = Resource.make("Db", { capacity: 5 })
 *
 * const LimiterLive = RedisLimiter.layer({ timeout: "2 seconds", resources: [Db], redis: Config.string("REDIS_URL") })
 * ```
 *
 * @since 0.4.0
 */
export * as RedisLimiter from "./RedisLimiter.js"
