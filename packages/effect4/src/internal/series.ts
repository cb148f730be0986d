/**
 * The limiter's metrics as Effect 4 `Metric`s, made from the shared core's
 * definitions: one maker per metric, used both for the `Metrics` module's
 * exported metrics (no attributes) and for each series a limiter writes
 * (its attributes fixed in the metric). Effect 4 keys a series by the
 * metric's type, name, description and attributes, so the two meet in the
 * registry only because they come from the same maker.
 *
 * @internal
 */
import * as Definitions from "@effect-concurrency-limiter/core/metrics/definitions"
import * as Metric from "effect/Metric"

type Attributes = Metric.Metric.AttributeSet | undefined

/** The histograms' buckets: the core's bounds in seconds, then `+Inf`. @internal */
export const boundaries: ReadonlyArray<number> = Metric.boundariesFromIterable(Definitions.boundaries)

/** @internal */
export const gauge = (definition: Definitions.Definition, attributes?: Attributes): Metric.Gauge<number> =>
  Metric.gauge(definition.name, { description: definition.help, attributes })

/** @internal */
export const histogram = (definition: Definitions.Definition, attributes?: Attributes): Metric.Histogram<number> =>
  Metric.histogram(definition.name, { description: definition.help, boundaries, attributes })

/**
 * The acquisitions counter, named as Prometheus shows it: Effect 4's
 * `PrometheusMetrics` writes a counter's name as it is, where the
 * OpenTelemetry exporter of the Effect 3 line appends `_total`.
 *
 * @internal
 */
export const acquisitions = (attributes?: Attributes): Metric.Counter<number> =>
  Metric.counter(Definitions.acquisitions.prometheusName, {
    description: Definitions.acquisitions.help,
    incremental: true,
    attributes
  })

/** The maker of each metric, by its key in the core's `definitions`. @internal */
export const makers: Readonly<Record<Definitions.MetricKey, (attributes?: Attributes) => Metric.Metric<number, unknown>>> =
  {
    capacity: (attributes) => gauge(Definitions.capacity, attributes),
    inUse: (attributes) => gauge(Definitions.inUse, attributes),
    waiting: (attributes) => gauge(Definitions.waiting, attributes),
    limit: (attributes) => gauge(Definitions.limit, attributes),
    partitionGuaranteed: (attributes) => gauge(Definitions.partitionGuaranteed, attributes),
    partitionInUse: (attributes) => gauge(Definitions.partitionInUse, attributes),
    partitionWaiting: (attributes) => gauge(Definitions.partitionWaiting, attributes),
    waitTime: (attributes) => histogram(Definitions.waitTime, attributes),
    holdTime: (attributes) => histogram(Definitions.holdTime, attributes),
    acquisitions
  }
