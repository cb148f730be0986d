/**
 * The limiter's metrics as data: their names, kinds, help texts and the
 * histograms' buckets. Each Effect line makes its own `Metric`s of them
 * (Effect 3: `Metric.gauge(name, { description })`, Effect 4 the same with
 * attributes), so that both lines write the same series under the same names
 * and Prometheus text, and dashboards work with either.
 */

/** What kind of metric a definition is. */
export type Kind = "gauge" | "counter" | "histogram"

/** One metric: the name Effect knows it by, its kind, and its help text. */
export interface Definition {
  readonly name: string
  readonly kind: Kind
  readonly help: string
}

/** A resource's capacity: the permits it may have in use at once. */
export const capacity = {
  name: "limiter_capacity",
  kind: "gauge",
  help: "The permits a resource may have in use at once."
} as const satisfies Definition

/** The permits of a resource in use now (above the capacity for a while after it is lowered). */
export const inUse = {
  name: "limiter_in_use",
  kind: "gauge",
  help: "The permits of a resource in use now."
} as const satisfies Definition

/** The requests queued for a resource now. */
export const waiting = {
  name: "limiter_waiting",
  kind: "gauge",
  help: "The requests queued for a resource now."
} as const satisfies Definition

/** The limit an adaptive resource's algorithm has set, labelled `algorithm`. */
export const limit = {
  name: "limiter_limit",
  kind: "gauge",
  help: "The concurrency limit an adaptive resource's algorithm has set."
} as const satisfies Definition

/** The permits a partition is guaranteed under contention. */
export const partitionGuaranteed = {
  name: "limiter_partition_guaranteed",
  kind: "gauge",
  help: "The permits a partition of a resource is guaranteed under contention."
} as const satisfies Definition

/** The permits a partition has in use now, its guarantee and what it borrowed together. */
export const partitionInUse = {
  name: "limiter_partition_in_use",
  kind: "gauge",
  help: "The permits a partition of a resource has in use now."
} as const satisfies Definition

/** The requests of a partition queued now. */
export const partitionWaiting = {
  name: "limiter_partition_waiting",
  kind: "gauge",
  help: "The requests of a partition queued for a resource now."
} as const satisfies Definition

/** How long each acquisition waited, in seconds, whether it then got its permit or not. */
export const waitTime = {
  name: "limiter_wait_seconds",
  kind: "histogram",
  help: "How long each acquisition of a resource waited, in seconds."
} as const satisfies Definition

/** How long each permit was held, grant to release, in seconds. */
export const holdTime = {
  name: "limiter_hold_seconds",
  kind: "histogram",
  help: "How long each permit of a resource was held, in seconds."
} as const satisfies Definition

/**
 * Acquisitions by `outcome`. Its Prometheus name ends in `_total`: an
 * exporter that appends it to a monotonic counter (OpenTelemetry's, which
 * the Effect 3 line documents) makes it from `name`; one that writes the
 * name as it is (Effect 4's `PrometheusMetrics`) is given `prometheusName`.
 */
export const acquisitions = {
  name: "limiter_acquisitions",
  prometheusName: "limiter_acquisitions_total",
  kind: "counter",
  help: "Acquisitions of a resource, by outcome."
} as const satisfies Definition & { readonly prometheusName: string }

/** Every metric, by the key the lines export it under. */
export const definitions = {
  capacity,
  inUse,
  waiting,
  limit,
  partitionGuaranteed,
  partitionInUse,
  partitionWaiting,
  waitTime,
  holdTime,
  acquisitions
} as const

/** The key of one metric in `definitions` (and in each line's `Metrics` module). */
export type MetricKey = keyof typeof definitions

/**
 * The histograms' finite bucket bounds, in seconds: 1 ms doubling to
 * 32.768 s (16 bounds; each line's histogram adds `+Inf`), which spans a
 * fast query to a timeout of tens of seconds. Computed as Effect's
 * exponential boundaries are (`start * factor ** i`), so the floats match.
 */
export const boundaries: ReadonlyArray<number> = Array.from({ length: 16 }, (_, i) => 0.001 * Math.pow(2, i))

/** How an acquisition ended: it got its permit, its deadline passed, the queue was full, or it was interrupted. */
export type Outcome = "acquired" | "timeout" | "queue-full" | "interrupted"

/** Every `Outcome`, in the order the docs list them. */
export const outcomes: ReadonlyArray<Outcome> = ["acquired", "timeout", "queue-full", "interrupted"]
