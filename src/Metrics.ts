/**
 * The limiter's metrics, as Effect `Metric`s in Effect's metric registry:
 * whatever exports that registry (`@effect/opentelemetry`'s `Metrics.layer`
 * with a Prometheus exporter, for instance) exports them.
 *
 * Each series carries, in this order: `limiter` (the layer's `name`,
 * `"default"` unless given), `resource`, then `partition` (the traffic of a
 * partitioned resource), `outcome` (acquisitions) or `algorithm` (an
 * adaptive limit) where they apply, then the metric labels in force where
 * the layer was built (`Effect.tagMetrics`; one with a key of the above is
 * left out). Those labels are read once, at build: the limiter updates its
 * series from whichever fiber takes or releases a permit, whose own labels
 * say nothing about the limiter. `series` tags a metric in this order, to
 * read one series with `Metric.value`.
 *
 * Each limiter's series are its own. Building a limiter whose series a live
 * one already writes (the same `name`, a resource of the same name, the
 * same labels) fails with `LimiterConfigError` on `name`. When its layer
 * closes, its gauges go to 0 and it writes nothing more (Effect's registry
 * cannot remove a series); counters and histograms keep their totals, as
 * Prometheus expects of them, and a limiter of the same name built later
 * carries on from them.
 *
 * A limiter updates them synchronously where its semaphores change, through
 * label arrays built once per resource and partition, so an acquisition
 * costs a few cached lookups and field writes, with no label set or metric
 * key built for it. `Limiter.layer({ metrics: false })` turns them off.
 *
 * @example
 * ```ts
 * import { Metric } from "effect"
 * import { Metrics } from "effect-concurrency-limiter"
 *
 * // Read a series directly, e.g. in a test or a health check.
 * const dbWaiting = Metric.value(Metrics.series(Metrics.waiting, { resource: "Db" }))
 * // limiter_waiting{limiter="default",resource="Db"}
 * ```
 *
 * @since 0.3.0
 */
import * as Definitions from "@effect-concurrency-limiter/core/metrics/definitions"
import * as Labels from "@effect-concurrency-limiter/core/metrics/labels"
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import * as MetricLabel from "effect/MetricLabel"

/**
 * A resource's capacity: the permits it may have in use at once.
 *
 * @example
 * ```ts
 * import { Effect, Metric } from "effect"
 * import { Metrics } from "effect-concurrency-limiter"
 *
 * // limiter_capacity{limiter="default",resource="Db"}
 * const dbCapacity = Metric.value(Metrics.series(Metrics.capacity, { resource: "Db" })).pipe(
 *   Effect.map((state) => state.value)
 * )
 * ```
 *
 * @since 0.3.0
 * @category gauges
 */
export const capacity = Metric.gauge(Definitions.capacity.name, { description: Definitions.capacity.help })

/**
 * The permits of a resource in use now. It may exceed the capacity for a
 * while after the capacity is lowered: holders are never interrupted.
 *
 * @example
 * ```ts
 * import { Effect, Metric } from "effect"
 * import { Metrics } from "effect-concurrency-limiter"
 *
 * // limiter_in_use{limiter="default",resource="Db"}
 * const dbInUse = Metric.value(Metrics.series(Metrics.inUse, { resource: "Db" })).pipe(
 *   Effect.map((state) => state.value)
 * )
 * ```
 *
 * @since 0.3.0
 * @category gauges
 */
export const inUse = Metric.gauge(Definitions.inUse.name, { description: Definitions.inUse.help })

/**
 * The requests queued for a resource now.
 *
 * @example
 * ```ts
 * import { Effect, Metric } from "effect"
 * import { Metrics } from "effect-concurrency-limiter"
 *
 * // limiter_waiting{limiter="default",resource="Db"}
 * const dbWaiting = Metric.value(Metrics.series(Metrics.waiting, { resource: "Db" })).pipe(
 *   Effect.map((state) => state.value)
 * )
 * ```
 *
 * @since 0.3.0
 * @category gauges
 */
export const waiting = Metric.gauge(Definitions.waiting.name, { description: Definitions.waiting.help })

/**
 * The concurrency limit of a resource whose capacity is an adaptive `Limit`,
 * tagged with the algorithm (`algorithm="gradient2"`); its capacity follows
 * it.
 *
 * @example
 * ```ts
 * import { Effect, Metric } from "effect"
 * import { Metrics } from "effect-concurrency-limiter"
 *
 * // limiter_limit{limiter="default",resource="Upstream",algorithm="gradient2"}
 * const upstreamLimit = Metric.value(
 *   Metrics.series(Metrics.limit, { resource: "Upstream", algorithm: "gradient2" })
 * ).pipe(Effect.map((state) => state.value))
 * ```
 *
 * @since 0.3.0
 * @category gauges
 */
export const limit = Metric.gauge(Definitions.limit.name, { description: Definitions.limit.help })

/**
 * The permits a partition of a resource is guaranteed under contention.
 *
 * @example
 * ```ts
 * import { Effect, Metric } from "effect"
 * import { Metrics } from "effect-concurrency-limiter"
 *
 * // limiter_partition_guaranteed{limiter="default",resource="Db",partition="batch"}
 * const batchGuaranteed = Metric.value(
 *   Metrics.series(Metrics.partitionGuaranteed, { resource: "Db", partition: "batch" })
 * ).pipe(Effect.map((state) => state.value))
 * ```
 *
 * @since 0.3.0
 * @category gauges
 */
export const partitionGuaranteed = Metric.gauge(Definitions.partitionGuaranteed.name, { description: Definitions.partitionGuaranteed.help })

/**
 * The permits a partition of a resource has in use now, its guarantee and
 * what it borrowed together.
 *
 * @example
 * ```ts
 * import { Effect, Metric } from "effect"
 * import { Metrics } from "effect-concurrency-limiter"
 *
 * // limiter_partition_in_use{limiter="default",resource="Db",partition="interactive"}
 * const interactiveInUse = Metric.value(
 *   Metrics.series(Metrics.partitionInUse, { resource: "Db", partition: "interactive" })
 * ).pipe(Effect.map((state) => state.value))
 * ```
 *
 * @since 0.3.0
 * @category gauges
 */
export const partitionInUse = Metric.gauge(Definitions.partitionInUse.name, { description: Definitions.partitionInUse.help })

/**
 * The requests of a partition queued for a resource now.
 *
 * @example
 * ```ts
 * import { Effect, Metric } from "effect"
 * import { Metrics } from "effect-concurrency-limiter"
 *
 * // limiter_partition_waiting{limiter="default",resource="Db",partition="batch"}
 * const batchWaiting = Metric.value(
 *   Metrics.series(Metrics.partitionWaiting, { resource: "Db", partition: "batch" })
 * ).pipe(Effect.map((state) => state.value))
 * ```
 *
 * @since 0.3.0
 * @category gauges
 */
export const partitionWaiting = Metric.gauge(Definitions.partitionWaiting.name, { description: Definitions.partitionWaiting.help })

/**
 * The buckets of both histograms, in seconds: 1 ms doubling to 32.768 s,
 * then `+Inf` (17 buckets), which spans a fast query to a timeout of tens
 * of seconds.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert"
 * import { Metric } from "effect"
 * import { Metrics } from "effect-concurrency-limiter"
 *
 * strictEqual(Metrics.boundaries.values.length, 17) // 0.001, 0.002, 0.004, ..., 32.768, Infinity
 *
 * // The same buckets for a histogram of your own, in the same dashboards.
 * const requestSeconds = Metric.histogram("http_request_seconds", Metrics.boundaries)
 * ```
 *
 * @since 0.3.0
 * @category constants
 */
export const boundaries = MetricBoundaries.fromIterable(Definitions.boundaries)

/**
 * How long each acquisition waited for its permit, in seconds (zero when it
 * found one free), whether it then got it or not.
 *
 * @example
 * ```ts
 * import { Effect, Metric } from "effect"
 * import { Metrics } from "effect-concurrency-limiter"
 *
 * // limiter_wait_seconds{limiter="default",resource="Db"}: the mean wait so far
 * const meanWait = Metric.value(Metrics.series(Metrics.waitTime, { resource: "Db" })).pipe(
 *   Effect.map((state) => (state.count === 0 ? 0 : state.sum / state.count))
 * )
 * ```
 *
 * @since 0.3.0
 * @category histograms
 */
export const waitTime = Metric.histogram(Definitions.waitTime.name, boundaries, Definitions.waitTime.help)

/**
 * How long each permit was held, from its grant to its release, in seconds.
 *
 * @example
 * ```ts
 * import { Effect, Metric } from "effect"
 * import { Metrics } from "effect-concurrency-limiter"
 *
 * // limiter_hold_seconds{limiter="default",resource="Db"}: the longest hold so far
 * const longestHold = Metric.value(Metrics.series(Metrics.holdTime, { resource: "Db" })).pipe(
 *   Effect.map((state) => state.max)
 * )
 * ```
 *
 * @since 0.3.0
 * @category histograms
 */
export const holdTime = Metric.histogram(Definitions.holdTime.name, boundaries, Definitions.holdTime.help)

/**
 * How an acquisition ended: it got its permit, its deadline passed, the
 * queue was full, or it was interrupted while it waited.
 *
 * @example
 * ```ts
 * import { Effect, Metric } from "effect"
 * import { Metrics } from "effect-concurrency-limiter"
 *
 * const outcomes: ReadonlyArray<Metrics.Outcome> = ["acquired", "timeout", "queue-full", "interrupted"]
 * const dbAcquisitions = Effect.forEach(outcomes, (outcome) =>
 *   Metric.value(Metrics.series(Metrics.acquisitions, { resource: "Db", outcome })).pipe(
 *     Effect.map((state) => [outcome, state.count] as const)
 *   ))
 * ```
 *
 * @since 0.3.0
 * @category models
 */
export type Outcome = Definitions.Outcome

/**
 * Acquisitions by outcome, tagged `outcome` (see `Outcome`). Exported to
 * Prometheus as `limiter_acquisitions_total`.
 *
 * @example
 * ```ts
 * import { Effect, Metric } from "effect"
 * import { Metrics } from "effect-concurrency-limiter"
 *
 * // limiter_acquisitions_total{limiter="default",resource="Db",outcome="timeout"}
 * const dbTimeouts = Metric.value(Metrics.series(Metrics.acquisitions, { resource: "Db", outcome: "timeout" })).pipe(
 *   Effect.map((state) => state.count)
 * )
 * ```
 *
 * @since 0.3.0
 * @category counters
 */
export const acquisitions = Metric.counter(Definitions.acquisitions.name, {
  description: Definitions.acquisitions.help,
  incremental: true
})

/**
 * The labels that pick one series of a limiter's metric (see `series`).
 *
 * @example
 * ```ts
 * import { Metric } from "effect"
 * import { Metrics } from "effect-concurrency-limiter"
 *
 * // limiter_partition_waiting{limiter="api",resource="Search",partition="batch"}
 * const labels: Metrics.SeriesLabels = { limiter: "api", resource: "Search", partition: "batch" }
 * const batchWaiting = Metric.value(Metrics.series(Metrics.partitionWaiting, labels))
 * ```
 *
 * @since 0.5.0
 * @category models
 */
export interface SeriesLabels extends Labels.SeriesLabels {}

/**
 * `metric` tagged with a limiter's labels in the order the limiter writes
 * them (Effect tells series apart by their labels in order), to read one
 * series with `Metric.value`. Labels a layer was built under come after:
 * tag them on, or read under the same `Effect.tagMetrics`.
 *
 * @example
 * ```ts
 * import { Effect, Metric } from "effect"
 * import { Metrics } from "effect-concurrency-limiter"
 *
 * const program = Effect.gen(function*() {
 *   const capacity = yield* Metric.value(Metrics.series(Metrics.capacity, { limiter: "api", resource: "Db" }))
 *   const timeouts = yield* Metric.value(
 *     Metrics.series(Metrics.acquisitions, { resource: "Db", outcome: "timeout" }).pipe(Metric.tagged("service", "api"))
 *   )
 *   return [capacity.value, timeouts.count]
 * })
 * ```
 *
 * @since 0.5.0
 * @category utils
 */
export const series = <Type, In, Out>(metric: Metric.Metric<Type, In, Out>, labels: SeriesLabels): Metric.Metric<Type, In, Out> =>
  Metric.taggedWithLabels(metric, Labels.seriesAttributes(labels).map(([key, value]) => MetricLabel.make(key, value)))
