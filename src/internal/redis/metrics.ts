/**
 * Feeds a Redis-held resource's events into the `Metrics` module's metrics,
 * as this replica sees them: its own holders and waiters (a sum over the
 * replicas gives the whole), its acquisitions by outcome, wait and hold
 * times. The shared core's `ResourceSeries`, as the in-process limiter's
 * observer writes through: label arrays built once, the limiter's labels
 * (`LimiterSeries`), gauges reset when the layer closes and no write after.
 *
 * @internal
 */
import { ResourceSeries } from "@effect-concurrency-limiter/core/metrics/observer"
import type { LimiterSeries, Series } from "../metrics.js"

/** @internal */
export class RemoteMetrics extends ResourceSeries<Series> {
  constructor(series: LimiterSeries, name: string) {
    super(series, name)
  }
}
