/**
 * Feeds a Redis-held resource's events into the `Metrics` module's metrics,
 * as this replica sees them: its own holders and waiters (a sum over the
 * replicas gives the whole), its acquisitions by outcome, wait and hold
 * times. Label arrays are built once, as for the in-process limiter (Effect
 * caches a tagged metric's hook by the identity of that array).
 *
 * @internal
 */
import * as MetricLabel from "effect/MetricLabel"
import * as Metrics from "../../Metrics.js"

type Labels = ReadonlyArray<MetricLabel.MetricLabel>

/** @internal */
export class RemoteMetrics {
  private readonly labels: Labels
  private readonly outcome: Readonly<Record<Metrics.Outcome, Labels>>

  constructor(name: string) {
    this.labels = [MetricLabel.make("resource", name)]
    const withOutcome = (outcome: Metrics.Outcome): Labels => [...this.labels, MetricLabel.make("outcome", outcome)]
    this.outcome = {
      acquired: withOutcome("acquired"),
      timeout: withOutcome("timeout"),
      "queue-full": withOutcome("queue-full"),
      interrupted: withOutcome("interrupted")
    }
  }

  capacity(capacity: number): void {
    Metrics.capacity.unsafeUpdate(capacity, this.labels)
  }

  /** This replica's holders and waiters of the resource, now. */
  changed(inUse: number, waiting: number): void {
    Metrics.inUse.unsafeUpdate(inUse, this.labels)
    Metrics.waiting.unsafeUpdate(waiting, this.labels)
  }

  acquired(waitedMillis: number): void {
    Metrics.waitTime.unsafeUpdate(waitedMillis / 1000, this.labels)
    Metrics.acquisitions.unsafeUpdate(1, this.outcome.acquired)
  }

  /** A refusal for an unreachable Redis is not an acquisition outcome: only the log tells it. */
  failed(outcome: "timeout" | "queue-full" | "interrupted", waitedMillis: number): void {
    Metrics.waitTime.unsafeUpdate(waitedMillis / 1000, this.labels)
    Metrics.acquisitions.unsafeUpdate(1, this.outcome[outcome])
  }

  released(heldMillis: number): void {
    Metrics.holdTime.unsafeUpdate(heldMillis / 1000, this.labels)
  }
}
