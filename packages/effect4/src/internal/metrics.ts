/**
 * A limiter's series of the `Metrics` module's metrics, and the observer
 * that feeds a resource's semaphore events into them: the shared core's
 * (`@effect-concurrency-limiter/core/metrics/observer`), over a sink that
 * writes Effect 4 metrics into the `Metric.MetricRegistry` of the layer's
 * construction.
 *
 * Each series is a metric of its own, made once with its attributes
 * (`limiter`, `resource`, then `partition`, `outcome` or `algorithm`, then
 * the `Metric.CurrentMetricAttributes` in force where the layer was built),
 * and updated with `updateUnsafe` in a context that holds only that
 * registry: Effect caches the metric's series key per attribute set, so an
 * update is a registry lookup and a few field writes. (`Metric.update`
 * would merge in the attributes of whichever fiber takes or releases a
 * permit, not the limiter's; `Metric.withAttributes` would add a context
 * per update.)
 *
 * @internal
 */
import { claimSeries, nameTaken } from "@effect-concurrency-limiter/core/metrics/claims"
import { buildAttributes, defaultName } from "@effect-concurrency-limiter/core/metrics/labels"
import * as Core from "@effect-concurrency-limiter/core/metrics/observer"
import { checkName } from "@effect-concurrency-limiter/core/options/primitives"
import type * as Clock from "effect/Clock"
import type * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import type * as Scope from "effect/Scope"
import type { LimiterConfigError } from "../LimiterConfigError.js"
import { fromChecked, orDefault, refuse, resolveUnknown } from "./options.js"
import type { Outcome, SemaphoreImpl } from "./semaphore.js"
import { makers } from "./series.js"

/** One series: a metric carrying the series' attributes. @internal */
export type Series = Metric.Metric<number, unknown>

/** Writes the limiter's series into `registry`, whichever fiber updates them. */
const sinkFor = (registry: Metric.MetricRegistry): Core.Sink<Series> => {
  // No `CurrentMetricAttributes` in it: its default, one constant empty set,
  // so each series' key is computed once.
  const context = Context.make(Metric.MetricRegistry, registry) as Context.Context<never>
  return {
    series: (metric, attributes) => makers[metric](Object.fromEntries(attributes)),
    update: (series, value) => series.updateUnsafe(value, context)
  }
}

/** @internal */
export type LimiterSeries = Core.LimiterSeries<Series>

/**
 * Reads a layer's `name` option and, when its metrics are on, claims its
 * series in the registry in force (`Metric.MetricRegistry`) for the layer's
 * scope: it fails with `LimiterConfigError` (field `name`) when a live
 * limiter already writes a series it would write, and when the scope closes
 * it sets the gauges to 0 and gives the series up. Counters and histograms
 * keep their totals, as a Prometheus counter must.
 *
 * @internal
 */
export const makeSeries = (
  name: unknown,
  resources: ReadonlyArray<string>,
  enabled: boolean
): Effect.Effect<LimiterSeries | null, LimiterConfigError | Config.ConfigError, Scope.Scope> =>
  Effect.gen(function*() {
    const valid = yield* Effect.fromResult(fromChecked(checkName("name", yield* resolveUnknown(orDefault(name, defaultName)))))
    if (!enabled) return null
    const registry = yield* Metric.MetricRegistry
    const tags = buildAttributes(Object.entries(yield* Metric.CurrentMetricAttributes))
    const claimed = yield* Effect.acquireRelease(
      Effect.suspend(() => {
        const claim = claimSeries(registry, valid, resources, tags)
        return "taken" in claim
          ? refuse("name", valid, nameTaken(claim.taken))
          : Effect.succeed({ series: new Core.LimiterSeries(valid, tags, sinkFor(registry)), claim })
      }),
      ({ claim, series }) =>
        Effect.sync(() => {
          series.reset()
          claim.release()
        })
    )
    return claimed.series
  })

/** @internal */
export class ResourceMetrics extends Core.ResourceMetrics<Outcome, Series> {
  constructor(series: LimiterSeries, name: string, semaphore: SemaphoreImpl, clock: Clock.Clock) {
    super(series, name, semaphore, () => clock.currentTimeMillisUnsafe())
  }
}
