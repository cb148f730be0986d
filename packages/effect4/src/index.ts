/**
 * Concurrency limiting for Effect 4 HTTP services: named resources, a FIFO
 * queue, and a prompt typed `BusyError` (HTTP 503) for any request that would
 * wait longer than its timeout.
 *
 * @since 0.6.0
 */

// First: a clear refusal on a Node older than Effect 4 needs (see internal/nodeVersion.ts).
import "./internal/nodeVersion.js"

/**
 * The error of a request that could not acquire its resources in time, and
 * its HTTP 503.
 *
 * @since 0.6.0
 */
export * as BusyError from "./BusyError.js"

/**
 * Adaptive concurrency limits, for a capacity that follows the service's
 * latency: `auto` (the recommended default, untuned), and Netflix's AIMD,
 * Vegas and Gradient2. The algorithms are the shared core's.
 *
 * @example
 * ```ts
 * import { Limit, Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const Upstream = Resource.make("Upstream", { capacity: Limit.auto({ max: 200 }) })
 * ```
 *
 * @since 0.6.0
 */
export * as Limit from "./Limit.js"

/**
 * The options and states of the `Limit` algorithms (types only; `Limit`
 * re-exports them, as `Limit.AutoOptions` and so on).
 *
 * @example
 * ```ts
 * import type { LimitOptions } from "@effect-concurrency-limiter/effect4"
 *
 * export const options: LimitOptions.AutoOptions = { max: 200 }
 * ```
 *
 * @since 0.6.0
 */
export * as LimitOptions from "./LimitOptions.js"

/**
 * Outbound calls under the limiter: an Effect 4 `HttpClient` whose requests
 * hold their permits until their response bodies are read, keep to a rate
 * (Effect 4's `RateLimiter`), and retry 429/503 as `Retry-After` says, with
 * the permits given back while waiting.
 *
 * @example
 * ```ts
 * import * as FetchHttpClient from "effect/http/FetchHttpClient"
 * import * as Layer from "effect/Layer"
 * import { LimitedHttpClient, Limiter, Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const Api = Resource.make("Api", { capacity: 10 })
 *
 * const HttpClientLive = LimitedHttpClient.layer({ resources: [Api], retry: { times: 5 } }).pipe(
 *   Layer.provide(FetchHttpClient.layer),
 *   Layer.provide(Limiter.layer({ timeout: "1 minute", resources: [Api] }))
 * )
 * ```
 *
 * @since 0.6.0
 */
export * as LimitedHttpClient from "./LimitedHttpClient.js"

/**
 * The options of `LimitedHttpClient` (types only; `LimitedHttpClient`
 * re-exports them, as `LimitedHttpClient.Options` and so on).
 *
 * @example
 * ```ts
 * import type { LimitedHttpClientOptions } from "@effect-concurrency-limiter/effect4"
 *
 * export const retry: LimitedHttpClientOptions.RetryOptions = { times: 5, maxDelay: "10 seconds" }
 * ```
 *
 * @since 0.6.0
 */
export * as LimitedHttpClientOptions from "./LimitedHttpClientOptions.js"

/**
 * The limiter service, its layer, and the guards that take permits.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import { Limiter, Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const Db = Resource.make("Db", { capacity: 5 })
 *
 * const query = Effect.succeed(["row"]).pipe(Limiter.withResources([Db]))
 * const program = query.pipe(Effect.provide(Limiter.layer({ timeout: "2 seconds", resources: [Db] })))
 * ```
 *
 * @since 0.6.0
 */
export * as Limiter from "./Limiter.js"

/**
 * The error of a `Limiter` layer built from bad options.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import { LimiterConfigError } from "@effect-concurrency-limiter/effect4"
 *
 * const report = (error: LimiterConfigError.LimiterConfigError) =>
 *   Effect.logError(`Option ${error.field}: got ${error.value}, expected ${error.expected}`)
 * ```
 *
 * @since 0.6.0
 */
export * as LimiterConfigError from "./LimiterConfigError.js"

/**
 * The options of `Limiter.layer` and its guards, and the checks of a
 * guard's list of resources (types only; `Limiter` re-exports them, as
 * `Limiter.Options` and so on).
 *
 * @example
 * ```ts
 * import type { LimiterOptions } from "@effect-concurrency-limiter/effect4"
 *
 * export const slow: LimiterOptions.WithResourcesOptions = { timeout: "30 seconds" }
 * ```
 *
 * @since 0.6.0
 */
export * as LimiterOptions from "./LimiterOptions.js"

/**
 * The limiter's metrics, as Effect `Metric`s, served to Prometheus by
 * `effect/observability/PrometheusMetrics`.
 *
 * @example
 * ```ts
 * import * as Metric from "effect/Metric"
 * import { Metrics } from "@effect-concurrency-limiter/effect4"
 *
 * const dbWaiting = Metric.value(Metrics.series(Metrics.waiting, { resource: "Db" }))
 * ```
 *
 * @since 0.6.0
 */
export * as Metrics from "./Metrics.js"

/**
 * One limit across replicas: the permits held in Redis, through the app's
 * `Redis` service (`effect/persistence/Redis`), with the same resources,
 * guards and `BusyError` as `Limiter.layer`.
 *
 * @example
 * ```ts
 * import * as NodeRedis from "@effect/platform-node/NodeRedis"
 * import * as Layer from "effect/Layer"
 * import { RedisLimiter, Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const Db = Resource.make("Db", { capacity: 5 })
 *
 * export const LimiterLive = RedisLimiter.layer({ timeout: "2 seconds", resources: [Db] }).pipe(
 *   Layer.provide(NodeRedis.layer({ url: "redis://127.0.0.1:6379", disableOfflineQueue: true }))
 * )
 * ```
 *
 * @since 0.6.0
 */
export * as RedisLimiter from "./RedisLimiter.js"

/**
 * Named resources (a database, a paid upstream API) and their capacities.
 *
 * @example
 * ```ts
 * import { Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const Db = Resource.make("Db", { capacity: 5, maxWaiting: 50 })
 * ```
 *
 * @since 0.6.0
 */
export * as Resource from "./Resource.js"

/**
 * A strict FIFO semaphore that implements Effect's `Semaphore`.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import { Semaphore } from "@effect-concurrency-limiter/effect4"
 *
 * const program = Effect.flatMap(Semaphore.make(2), (sem) => sem.withPermits(1)(Effect.log("one of two")))
 * ```
 *
 * @since 0.6.0
 */
export * as Semaphore from "./Semaphore.js"
