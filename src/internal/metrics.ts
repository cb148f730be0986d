/**
 * A limiter's series of the `Metrics` module's metrics, and the observer
 * that feeds a resource's semaphore events into them: the shared core's
 * (`@effect-concurrency-limiter/core/metrics/observer`), over a sink that
 * writes Effect 3's metrics.
 *
 * Every series of a limiter carries its labels in one order: `limiter`
 * (its `name`), `resource`, then `partition`, `outcome` or `algorithm`
 * where they apply, then the metric labels that were in force where the
 * layer was built (`Effect.tagMetrics`). That is the order `Metric.tagged`
 * builds when a reader tags `limiter` first, so `Metric.value` finds them.
 *
 * Every update goes straight to the metric's hook with a label array built
 * once (per resource, partition and outcome): Effect caches a tagged
 * metric's hook by the identity of that array, so an update is a lookup and
 * a few field writes, with no label set or key built. (`Metric.tagged` per
 * update would build a new label set, and a new key to look up, every time;
 * and `Metric.update` would read the labels of whichever fiber happens to
 * release a permit, not the limiter's.)
 *
 * @internal
 */
import { claimSeries, nameTaken } from "@effect-concurrency-limiter/core/metrics/claims"
import type { MetricKey } from "@effect-concurrency-limiter/core/metrics/definitions"
import { buildAttributes, defaultName } from "@effect-concurrency-limiter/core/metrics/labels"
import * as Core from "@effect-concurrency-limiter/core/metrics/observer"
import type * as Clock from "effect/Clock"
import type * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Metric from "effect/Metric"
import * as MetricLabel from "effect/MetricLabel"
import type * as Scope from "effect/Scope"
import type { LimiterConfigError } from "../LimiterConfigError.js"
import * as Metrics from "../Metrics.js"
import { fromEither, orDefault, refuse, resolveUnknown, validateName } from "./options.js"
import type { SemaphoreImpl } from "./semaphore.js"
import type { Outcome } from "./semaphore/outcomes.js"

/** One series: its metric, and the label array Effect caches its hook by. @internal */
export interface Series {
  readonly metric: Metric.Metric<any, number, any>
  readonly labels: ReadonlyArray<MetricLabel.MetricLabel>
}

const metrics: Readonly<Record<MetricKey, Metric.Metric<any, number, any>>> = {
  capacity: Metrics.capacity,
  inUse: Metrics.inUse,
  waiting: Metrics.waiting,
  limit: Metrics.limit,
  partitionGuaranteed: Metrics.partitionGuaranteed,
  partitionInUse: Metrics.partitionInUse,
  partitionWaiting: Metrics.partitionWaiting,
  waitTime: Metrics.waitTime,
  holdTime: Metrics.holdTime,
  acquisitions: Metrics.acquisitions
}

/** Writes Effect 3's metrics in the global registry. */
const sink: Core.Sink<Series> = {
  series: (metric, attributes) => ({
    metric: metrics[metric],
    labels: attributes.map(([key, value]) => MetricLabel.make(key, value))
  }),
  update: (series, value) => series.metric.unsafeUpdate(value, series.labels)
}

/** @internal */
export type LimiterSeries = Core.LimiterSeries<Series>

/**
 * Reads a layer's `name` option and, when its metrics are on, claims its
 * series for the layer's scope: it fails with `LimiterConfigError` (field
 * `name`) when a live limiter already writes a series it would write, and
 * when the scope closes it resets the gauges (Effect's registry cannot
 * remove a series) and gives the series up. Counters and histograms keep
 * their totals, as a Prometheus counter must.
 *
 * @internal
 */
export const makeSeries = (
  name: unknown,
  resources: ReadonlyArray<string>,
  enabled: boolean
): Effect.Effect<LimiterSeries | null, LimiterConfigError | ConfigError.ConfigError, Scope.Scope> =>
  Effect.gen(function*() {
    const valid = yield* fromEither(validateName("name", yield* resolveUnknown(orDefault(name, defaultName))))
    if (!enabled) return null
    const tags = buildAttributes(
      (yield* FiberRef.get(FiberRef.currentMetricLabels)).map((tag) => [tag.key, tag.value] as const)
    )
    const claimed = yield* Effect.acquireRelease(
      Effect.suspend(() => {
        const claim = claimSeries(Metric.globalMetricRegistry, valid, resources, tags)
        return "taken" in claim
          ? refuse("name", valid, nameTaken(claim.taken))
          : Effect.succeed({ series: new Core.LimiterSeries(valid, tags, sink), claim })
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
    super(series, name, semaphore, () => clock.unsafeCurrentTimeMillis())
  }
}
