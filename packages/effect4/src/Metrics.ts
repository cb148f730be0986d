/**
 * The limiter's metrics, as Effect 4 `Metric`s in the `Metric.MetricRegistry`
 * in force where `Limiter.layer` is built (Effect's default registry unless
 * you provide another): the same series, names and labels as the Effect 3
 * line's, so the same dashboards read either.
 *
 * Serve them with Effect's own Prometheus exposition,
 * `effect/observability/PrometheusMetrics`: `PrometheusMetrics.layerHttp()`
 * adds a `GET /metrics` route to your `HttpRouter` (`format()` gives the
 * text, for a route of your own). Build the route and the limiter under the
 * same registry, and leave the route unguarded: metrics must answer while
 * the guarded routes are saturated.
 *
 * Each series carries the attributes `limiter` (the layer's `name`,
 * `"default"` unless given), `resource`, then `partition` (the traffic of a
 * partitioned resource), `outcome` (acquisitions) or `algorithm` (an
 * adaptive limit) where they apply, then the `Metric.CurrentMetricAttributes`
 * in force where the layer was built (one with a key of the above is left
 * out). Those are read once, at build: the limiter updates its series from
 * whichever fiber takes or releases a permit, whose own attributes say
 * nothing about the limiter. `series` picks one series, to read with
 * `Metric.value`.
 *
 * Each limiter's series are its own. Building a limiter whose series a live
 * one already writes in the same registry (the same `name`, a resource of
 * the same name, the same attributes) fails with `LimiterConfigError` on
 * `name`. When its layer closes, its gauges go to 0 and it writes nothing
 * more; counters and histograms keep their totals, as Prometheus expects of
 * them, and a limiter of the same name built later carries on from them.
 * `Limiter.layer({ metrics: false })` turns them off.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http"
 * import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
 * import * as Effect from "effect/Effect"
 * import * as HttpRouter from "effect/http/HttpRouter"
 * import * as HttpServerResponse from "effect/http/HttpServerResponse"
 * import * as Layer from "effect/Layer"
 * import * as PrometheusMetrics from "effect/observability/PrometheusMetrics"
 * import { Limiter, Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const Db = Resource.make("Db", { capacity: 5 })
 * const LimiterLive = Limiter.layer({ timeout: "2 seconds", resources: [Db] })
 *
 * const Routes = HttpRouter.add("GET", "/users", Effect.succeed(HttpServerResponse.text("[]")).pipe(Limiter.withResources([Db])))
 *
 * // GET /metrics, beside the guarded routes, in the Prometheus text format:
 * // limiter_in_use{limiter="default",resource="Db"} 2
 * // limiter_acquisitions_total{limiter="default",resource="Db",outcome="acquired"} 40
 * export const Server = HttpRouter.serve(Layer.mergeAll(Routes, PrometheusMetrics.layerHttp({ path: "/metrics" }))).pipe(
 *   Layer.provide(LimiterLive),
 *   Layer.provide(NodeHttpServer.layer(createServer, { port: 8000 }))
 * )
 * ```
 *
 * @since 0.6.0
 */
import "./internal/nodeVersion.js"
import * as Definitions from "@effect-concurrency-limiter/core/metrics/definitions"
import * as Labels from "@effect-concurrency-limiter/core/metrics/labels"
import * as Metric from "effect/Metric"
import * as internal from "./internal/series.js"

/**
 * A resource's capacity: the permits it may have in use at once.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import * as Metric from "effect/Metric"
 * import { Metrics } from "@effect-concurrency-limiter/effect4"
 *
 * // limiter_capacity{limiter="default",resource="Db"}
 * const dbCapacity = Effect.map(Metric.value(Metrics.series(Metrics.capacity, { resource: "Db" })), (s) => s.value)
 * ```
 *
 * @since 0.6.0
 * @category gauges
 */
export const capacity: Metric.Gauge<number> = internal.gauge(Definitions.capacity)

/**
 * The permits of a resource in use now. It may exceed the capacity for a
 * while after the capacity is lowered: holders are never interrupted.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import * as Metric from "effect/Metric"
 * import { Metrics } from "@effect-concurrency-limiter/effect4"
 *
 * // limiter_in_use{limiter="default",resource="Db"}
 * const dbInUse = Effect.map(Metric.value(Metrics.series(Metrics.inUse, { resource: "Db" })), (s) => s.value)
 * ```
 *
 * @since 0.6.0
 * @category gauges
 */
export const inUse: Metric.Gauge<number> = internal.gauge(Definitions.inUse)

/**
 * The requests queued for a resource now.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import * as Metric from "effect/Metric"
 * import { Metrics } from "@effect-concurrency-limiter/effect4"
 *
 * // limiter_waiting{limiter="default",resource="Db"}
 * const dbWaiting = Effect.map(Metric.value(Metrics.series(Metrics.waiting, { resource: "Db" })), (s) => s.value)
 * ```
 *
 * @since 0.6.0
 * @category gauges
 */
export const waiting: Metric.Gauge<number> = internal.gauge(Definitions.waiting)

/**
 * The concurrency limit of a resource whose capacity is an adaptive `Limit`,
 * with the attribute `algorithm` (`algorithm="gradient2"`); its capacity
 * follows it.
 *
 * @example
 * ```ts
 * import * as Metric from "effect/Metric"
 * import { Metrics } from "@effect-concurrency-limiter/effect4"
 *
 * // limiter_limit{limiter="default",resource="Upstream",algorithm="gradient2"}
 * const upstreamLimit = Metric.value(Metrics.series(Metrics.limit, { resource: "Upstream", algorithm: "gradient2" }))
 * ```
 *
 * @since 0.6.0
 * @category gauges
 */
export const limit: Metric.Gauge<number> = internal.gauge(Definitions.limit)

/**
 * The permits a partition of a resource is guaranteed under contention.
 *
 * @example
 * ```ts
 * import * as Metric from "effect/Metric"
 * import { Metrics } from "@effect-concurrency-limiter/effect4"
 *
 * // limiter_partition_guaranteed{limiter="default",resource="Db",partition="batch"}
 * const batch = Metric.value(Metrics.series(Metrics.partitionGuaranteed, { resource: "Db", partition: "batch" }))
 * ```
 *
 * @since 0.6.0
 * @category gauges
 */
export const partitionGuaranteed: Metric.Gauge<number> = internal.gauge(Definitions.partitionGuaranteed)

/**
 * The permits a partition of a resource has in use now, its guarantee and
 * what it borrowed together.
 *
 * @example
 * ```ts
 * import * as Metric from "effect/Metric"
 * import { Metrics } from "@effect-concurrency-limiter/effect4"
 *
 * // limiter_partition_in_use{limiter="default",resource="Db",partition="interactive"}
 * const interactive = Metric.value(Metrics.series(Metrics.partitionInUse, { resource: "Db", partition: "interactive" }))
 * ```
 *
 * @since 0.6.0
 * @category gauges
 */
export const partitionInUse: Metric.Gauge<number> = internal.gauge(Definitions.partitionInUse)

/**
 * The requests of a partition queued for a resource now.
 *
 * @example
 * ```ts
 * import * as Metric from "effect/Metric"
 * import { Metrics } from "@effect-concurrency-limiter/effect4"
 *
 * // limiter_partition_waiting{limiter="default",resource="Db",partition="batch"}
 * const batch = Metric.value(Metrics.series(Metrics.partitionWaiting, { resource: "Db", partition: "batch" }))
 * ```
 *
 * @since 0.6.0
 * @category gauges
 */
export const partitionWaiting: Metric.Gauge<number> = internal.gauge(Definitions.partitionWaiting)

/**
 * The buckets of both histograms, in seconds: 1 ms doubling to 32.768 s,
 * then `Infinity` (17 buckets), which spans a fast query to a timeout of
 * tens of seconds.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert"
 * import * as Metric from "effect/Metric"
 * import { Metrics } from "@effect-concurrency-limiter/effect4"
 *
 * strictEqual(Metrics.boundaries.length, 17) // 0.001, 0.002, 0.004, ..., 32.768, Infinity
 *
 * // The same buckets for a histogram of your own, in the same dashboards.
 * const requestSeconds = Metric.histogram("http_request_seconds", { boundaries: Metrics.boundaries })
 * ```
 *
 * @since 0.6.0
 * @category constants
 */
export const boundaries: ReadonlyArray<number> = internal.boundaries

/**
 * How long each acquisition waited for its permit, in seconds (zero when it
 * found one free), whether it then got it or not.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import * as Metric from "effect/Metric"
 * import { Metrics } from "@effect-concurrency-limiter/effect4"
 *
 * // limiter_wait_seconds{limiter="default",resource="Db"}: the mean wait so far
 * const meanWait = Effect.map(
 *   Metric.value(Metrics.series(Metrics.waitTime, { resource: "Db" })),
 *   (s) => (s.count === 0 ? 0 : s.sum / s.count)
 * )
 * ```
 *
 * @since 0.6.0
 * @category histograms
 */
export const waitTime: Metric.Histogram<number> = internal.histogram(Definitions.waitTime)

/**
 * How long each permit was held, from its grant to its release, in seconds.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import * as Metric from "effect/Metric"
 * import { Metrics } from "@effect-concurrency-limiter/effect4"
 *
 * // limiter_hold_seconds{limiter="default",resource="Db"}: the longest hold so far
 * const longestHold = Effect.map(Metric.value(Metrics.series(Metrics.holdTime, { resource: "Db" })), (s) => s.max)
 * ```
 *
 * @since 0.6.0
 * @category histograms
 */
export const holdTime: Metric.Histogram<number> = internal.histogram(Definitions.holdTime)

/**
 * How an acquisition ended: it got its permit, its deadline passed, the
 * queue was full, or it was interrupted while it waited.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import * as Metric from "effect/Metric"
 * import { Metrics } from "@effect-concurrency-limiter/effect4"
 *
 * const outcomes: ReadonlyArray<Metrics.Outcome> = ["acquired", "timeout", "queue-full", "interrupted"]
 * const dbAcquisitions = Effect.forEach(outcomes, (outcome) =>
 *   Effect.map(Metric.value(Metrics.series(Metrics.acquisitions, { resource: "Db", outcome })), (s) => [outcome, s.count] as const))
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export type Outcome = Definitions.Outcome

/**
 * Acquisitions by outcome, with the attribute `outcome` (see `Outcome`).
 * Named `limiter_acquisitions_total`, as Prometheus shows it under both
 * lines: `PrometheusMetrics` writes a counter's name as it is, where the
 * Effect 3 line's OpenTelemetry exporter appends the `_total` to its
 * `limiter_acquisitions`.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import * as Metric from "effect/Metric"
 * import { Metrics } from "@effect-concurrency-limiter/effect4"
 *
 * // limiter_acquisitions_total{limiter="default",resource="Db",outcome="timeout"}
 * const dbTimeouts = Effect.map(
 *   Metric.value(Metrics.series(Metrics.acquisitions, { resource: "Db", outcome: "timeout" })),
 *   (s) => s.count
 * )
 * ```
 *
 * @since 0.6.0
 * @category counters
 */
export const acquisitions: Metric.Counter<number> = internal.acquisitions()

/**
 * The labels that pick one series of a limiter's metric (see `series`).
 *
 * @example
 * ```ts
 * import * as Metric from "effect/Metric"
 * import { Metrics } from "@effect-concurrency-limiter/effect4"
 *
 * // limiter_partition_waiting{limiter="api",resource="Search",partition="batch"}
 * const labels: Metrics.SeriesLabels = { limiter: "api", resource: "Search", partition: "batch" }
 * const batchWaiting = Metric.value(Metrics.series(Metrics.partitionWaiting, labels))
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export interface SeriesLabels extends Labels.SeriesLabels {}

/**
 * `metric` with a limiter's attributes (`limiter` defaults to `"default"`),
 * to read one series with `Metric.value`. Attributes the layer was built
 * under come on top: add them with `Metric.withAttributes`, or read under
 * the same `Metric.CurrentMetricAttributes`.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import * as Metric from "effect/Metric"
 * import { Metrics } from "@effect-concurrency-limiter/effect4"
 *
 * const program = Effect.gen(function*() {
 *   const capacity = yield* Metric.value(Metrics.series(Metrics.capacity, { limiter: "api", resource: "Db" }))
 *   const timeouts = yield* Metric.value(
 *     Metrics.series(Metrics.acquisitions, { resource: "Db", outcome: "timeout" }).pipe(
 *       Metric.withAttributes({ service: "api" })
 *     )
 *   )
 *   return [capacity.value, timeouts.count]
 * })
 * ```
 *
 * @since 0.6.0
 * @category utils
 */
export const series = <Input, State>(metric: Metric.Metric<Input, State>, labels: SeriesLabels): Metric.Metric<Input, State> =>
  Metric.withAttributes(metric, Object.fromEntries(Labels.seriesAttributes(labels)))
