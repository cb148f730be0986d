/**
 * Concurrency limiting for Effect: named resources with a capacity, a queue
 * for the excess (FIFO or LIFO, bounded, partitioned with guaranteed shares),
 * a prompt typed `BusyError` (HTTP 503) for any request that would wait
 * longer than a timeout, and metrics.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as BusyError from "./BusyError.js"

/** @since 0.2.0 */
export * as LimitedHttpClient from "./LimitedHttpClient.js"

/** @since 0.1.0 */
export * as Limiter from "./Limiter.js"

/** @since 0.1.0 */
export * as LimiterConfigError from "./LimiterConfigError.js"

/** @since 0.1.0 */
export * as Resource from "./Resource.js"

/** @since 0.1.0 */
export * as Semaphore from "./Semaphore.js"

/** @since 0.3.0 */
export * as Metrics from "./Metrics.js"

/** @since 0.3.0 */
export * as Limit from "./Limit.js"

/** @since 0.4.0 */
export * as RedisLimiter from "./RedisLimiter.js"
