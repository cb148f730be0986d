/**
 * `GET /metrics`: Effect's global metric registry (the limiter's gauges,
 * histograms and counters, and anything else the app records) in the
 * Prometheus text format, served by the app itself.
 *
 * `@effect/opentelemetry` bridges the registry to OpenTelemetry: it hands a
 * metric reader a snapshot of every Effect metric at each collection. The
 * reader is `@opentelemetry/exporter-prometheus`'s exporter with its own HTTP
 * server turned off, and its serializer writes the text: the app needs no
 * second port, and the exposition format is the library's, not ours.
 */
import * as OtelMetrics from "@effect/opentelemetry/Metrics"
import * as OtelResource from "@effect/opentelemetry/Resource"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/** The Prometheus text exposition format, version 0.0.4: what Prometheus scrapes by default. */
export const contentType = "text/plain; version=0.0.4; charset=utf-8"

/** The OpenTelemetry resource's `service.name`, shown on the `target_info` series. */
export const serviceName = "effect-concurrency-limiter-example"

/** Renders the current state of every Effect metric as Prometheus text. */
export class PrometheusMetrics extends Context.Tag("examples/PrometheusMetrics")<PrometheusMetrics, {
  /** One collection of the registry, serialized. */
  readonly scrape: Effect.Effect<string>
}>() {
  /**
   * The exporter, bound to Effect's registry for the layer's lifetime:
   * `@effect/opentelemetry` shuts it down when the scope closes (at
   * shutdown), so nothing of it outlives the app.
   */
  static readonly layer: Layer.Layer<PrometheusMetrics> = Layer.scoped(
    PrometheusMetrics,
    Effect.gen(function*() {
      // `preventServerStart`: the exporter would otherwise listen on 9464 by
      // itself. It is used only as the reader that collects.
      const exporter = new PrometheusExporter({ preventServerStart: true })
      yield* Layer.build(OtelMetrics.layer(() => exporter))
      // The exporter's own serializer is private, so a second one with the
      // same defaults, except the `otel_scope_name` label: every Effect
      // metric comes from the one bridge scope, so on each series it would
      // only be noise (and break `name{labels}` lookups).
      const serializer = new PrometheusSerializer(undefined, false, undefined, false, true)
      const scrape = Effect.promise(() => exporter.collect()).pipe(
        Effect.tap(({ errors }) =>
          errors.length > 0 ? Effect.logWarning("metrics collection reported errors", errors) : Effect.void
        ),
        Effect.map(({ resourceMetrics }) => serializer.serialize(resourceMetrics))
      )
      return { scrape }
    })
  ).pipe(Layer.provide(OtelResource.layer({ serviceName })))
}

/**
 * The `/metrics` handler. A rejected collection (the exporter already shut
 * down) is a defect, so it is answered with a 500 and logged like any other.
 * It takes no limiter resource: metrics must stay readable exactly when the
 * guarded routes are saturated.
 */
export const metricsHandler = Effect.flatMap(PrometheusMetrics, (metrics) => metrics.scrape).pipe(
  Effect.map((text) => HttpServerResponse.text(text, { contentType }))
)
