/**
 * The limiter's metrics, as Effect `Metric`s in Effect's metric registry:
 * whatever exports that registry (`@effect/opentelemetry`'s `Metrics.layer`
 * with a Prometheus exporter, for instance) exports them. Every series is
 * tagged `resource`; series of a partitioned resource's traffic are tagged
 * `partition` too.
 *
 * A limiter updates them synchronously where its semaphores change, through
 * hooks resolved once per resource and partition, so an acquisition costs a
 * few cached lookups and field writes, with no label set or metric key built
 * for it. `Limiter.layer({ metrics: false })` turns them off.
 *
 * @example
 * ```ts
 * import { Effect, Metric } from "effect"
 * import { Metrics } from "effect-concurrency-limiter"
 *
 * // Read a series directly, e.g. in a test or a health check.
 * const dbWaiting = Metric.value(Metrics.waiting.pipe(Metric.tagged("resource", "Db")))
 * ```
 *
 * @since 0.3.0
 */
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"

/**
 * A resource's capacity: the permits it may have in use at once.
 *
 * @example
 * ```ts
 * import { Metrics } from "effect-concurrency-limiter"
 *
 * Metrics.capacity // limiter_capacity{resource="Db"} 5
 * ```
 *
 * @since 0.3.0
 * @category gauges
 */
export const capacity = Metric.gauge("limiter_capacity", {
  description: "The permits a resource may have in use at once."
})

/**
 * The permits of a resource in use now. It may exceed the capacity for a
 * while after the capacity is lowered: holders are never interrupted.
 *
 * @example
 * ```ts
 * import { Metrics } from "effect-concurrency-limiter"
 *
 * Metrics.inUse // limiter_in_use{resource="Db"} 5
 * ```
 *
 * @since 0.3.0
 * @category gauges
 */
export const inUse = Metric.gauge("limiter_in_use", {
  description: "The permits of a resource in use now."
})

/**
 * The requests queued for a resource now.
 *
 * @example
 * ```ts
 * import { Metrics } from "effect-concurrency-limiter"
 *
 * Metrics.waiting // limiter_waiting{resource="Db"} 12
 * ```
 *
 * @since 0.3.0
 * @category gauges
 */
export const waiting = Metric.gauge("limiter_waiting", {
  description: "The requests queued for a resource now."
})

/**
 * The concurrency limit of a resource whose capacity is an adaptive `Limit`,
 * tagged with the algorithm (`algorithm="gradient2"`); its capacity follows
 * it.
 *
 * @example
 * ```ts
 * import { Metrics } from "effect-concurrency-limiter"
 *
 * Metrics.limit // limiter_limit{resource="Db",algorithm="gradient2"} 7
 * ```
 *
 * @since 0.3.0
 * @category gauges
 */
export const limit = Metric.gauge("limiter_limit", {
  description: "The concurrency limit an adaptive resource's algorithm has set."
})

/**
 * The permits a partition of a resource is guaranteed under contention.
 *
 * @example
 * ```ts
 * import { Metrics } from "effect-concurrency-limiter"
 *
 * Metrics.partitionGuaranteed // limiter_partition_guaranteed{resource="Db",partition="batch"} 1
 * ```
 *
 * @since 0.3.0
 * @category gauges
 */
export const partitionGuaranteed = Metric.gauge("limiter_partition_guaranteed", {
  description: "The permits a partition of a resource is guaranteed under contention."
})

/**
 * The permits a partition of a resource has in use now, its guarantee and
 * what it borrowed together.
 *
 * @example
 * ```ts
 * import { Metrics } from "effect-concurrency-limiter"
 *
 * Metrics.partitionInUse // limiter_partition_in_use{resource="Db",partition="interactive"} 4
 * ```
 *
 * @since 0.3.0
 * @category gauges
 */
export const partitionInUse = Metric.gauge("limiter_partition_in_use", {
  description: "The permits a partition of a resource has in use now."
})

/**
 * The requests of a partition queued for a resource now.
 *
 * @example
 * ```ts
 * import { Metrics } from "effect-concurrency-limiter"
 *
 * Metrics.partitionWaiting // limiter_partition_waiting{resource="Db",partition="batch"} 7
 * ```
 *
 * @since 0.3.0
 * @category gauges
 */
export const partitionWaiting = Metric.gauge("limiter_partition_waiting", {
  description: "The requests of a partition queued for a resource now."
})

/**
 * The buckets of both histograms, in seconds: 1 ms doubling to 32.768 s,
 * then `+Inf` (17 buckets), which spans a fast query to a timeout of tens
 * of seconds.
 *
 * @example
 * ```ts
 * import { Metrics } from "effect-concurrency-limiter"
 *
 * Metrics.boundaries.values // [0.001, 0.002, 0.004, ..., 32.768, Infinity]
 * ```
 *
 * @since 0.3.0
 * @category constants
 */
export const boundaries = MetricBoundaries.exponential({ start: 0.001, factor: 2, count: 17 })

/**
 * How long each acquisition waited for its permit, in seconds (zero when it
 * found one free), whether it then got it or not.
 *
 * @example
 * ```ts
 * import { Metrics } from "effect-concurrency-limiter"
 *
 * Metrics.waitTime // limiter_wait_seconds_bucket{resource="Db",le="0.001"} ...
 * ```
 *
 * @since 0.3.0
 * @category histograms
 */
export const waitTime = Metric.histogram(
  "limiter_wait_seconds",
  boundaries,
  "How long each acquisition of a resource waited, in seconds."
)

/**
 * How long each permit was held, from its grant to its release, in seconds.
 *
 * @example
 * ```ts
 * import { Metrics } from "effect-concurrency-limiter"
 *
 * Metrics.holdTime // limiter_hold_seconds_bucket{resource="Db",le="0.008"} ...
 * ```
 *
 * @since 0.3.0
 * @category histograms
 */
export const holdTime = Metric.histogram(
  "limiter_hold_seconds",
  boundaries,
  "How long each permit of a resource was held, in seconds."
)

/**
 * How an acquisition ended: it got its permit, its deadline passed, the
 * queue was full, or it was interrupted while it waited.
 *
 * @example
 * ```ts
 * import type { Metrics } from "effect-concurrency-limiter"
 *
 * const outcome: Metrics.Outcome = "queue-full"
 * ```
 *
 * @since 0.3.0
 * @category models
 */
export type Outcome = "acquired" | "timeout" | "queue-full" | "interrupted"

/**
 * Acquisitions by outcome, tagged `outcome` (see `Outcome`). Exported to
 * Prometheus as `limiter_acquisitions_total`.
 *
 * @example
 * ```ts
 * import { Metrics } from "effect-concurrency-limiter"
 *
 * Metrics.acquisitions // limiter_acquisitions_total{resource="Db",outcome="timeout"} 42
 * ```
 *
 * @since 0.3.0
 * @category counters
 */
export const acquisitions = Metric.counter("limiter_acquisitions", {
  description: "Acquisitions of a resource, by outcome.",
  incremental: true
})
