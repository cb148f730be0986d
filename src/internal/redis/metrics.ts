/**
 * Feeds a Redis-held resource's events into the `Metrics` module's metrics,
 * as this replica sees them: its own holders and waiters (a sum over the
 * replicas gives the whole), its acquisitions by outcome, wait and hold
 * times. Label arrays are built once, as for the in-process limiter (Effect
 * caches a tagged metric's hook by the identity of that array), and carry
 * the limiter's labels (`LimiterSeries`); its gauges are reset when the
 * layer closes.
 *
 * @internal
 */
import * as MetricLabel from "effect/MetricLabel"
import * as Metrics from "../../Metrics.js"
import { type LimiterSeries, outcomeLabels } from "../metrics.js"

type Labels = ReadonlyArray<MetricLabel.MetricLabel>

/** @internal */
export class RemoteMetrics {
  private readonly labels: Labels
  private readonly outcome: Readonly<Record<Metrics.Outcome, Labels>>
  /** Set when the layer closes: a holder that outlives it must not write the reset series again. */
  private closed = false

  constructor(series: LimiterSeries, name: string) {
    const own = [MetricLabel.make("resource", name)]
    this.labels = series.labels(own)
    this.outcome = outcomeLabels(series, own)
    series.add(this)
  }

  capacity(capacity: number): void {
    if (this.closed) return
    Metrics.capacity.unsafeUpdate(capacity, this.labels)
  }

  /** This replica's holders and waiters of the resource, now. */
  changed(inUse: number, waiting: number): void {
    if (this.closed) return
    Metrics.inUse.unsafeUpdate(inUse, this.labels)
    Metrics.waiting.unsafeUpdate(waiting, this.labels)
  }

  acquired(waitedMillis: number): void {
    if (this.closed) return
    Metrics.waitTime.unsafeUpdate(waitedMillis / 1000, this.labels)
    Metrics.acquisitions.unsafeUpdate(1, this.outcome.acquired)
  }

  /** A refusal for an unreachable Redis is not an acquisition outcome: only the log tells it. */
  failed(outcome: "timeout" | "queue-full" | "interrupted", waitedMillis: number): void {
    if (this.closed) return
    Metrics.waitTime.unsafeUpdate(waitedMillis / 1000, this.labels)
    Metrics.acquisitions.unsafeUpdate(1, this.outcome[outcome])
  }

  released(heldMillis: number): void {
    if (this.closed) return
    Metrics.holdTime.unsafeUpdate(heldMillis / 1000, this.labels)
  }

  /** Every gauge to 0, and no update after: the layer closed. */
  reset(): void {
    this.closed = true
    Metrics.capacity.unsafeUpdate(0, this.labels)
    Metrics.inUse.unsafeUpdate(0, this.labels)
    Metrics.waiting.unsafeUpdate(0, this.labels)
  }
}
