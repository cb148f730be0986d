/**
 * Feeds a resource's semaphore events into the `Metrics` module's metrics.
 *
 * Every update goes straight to the metric's hook with a label array built
 * here once (per resource, partition and outcome): Effect caches a tagged
 * metric's hook by the identity of that array, so an update is a lookup and
 * a few field writes, with no label set or key built. (`Metric.tagged` per update
 * would build a new label set, and a new key to look up, every time.)
 *
 * @internal
 */
import type * as Clock from "effect/Clock"
import * as MetricLabel from "effect/MetricLabel"
import * as Metrics from "../Metrics.js"
import type { Ending, Observer, Queue, SemaphoreImpl, Waiter } from "./semaphore.js"

type Labels = ReadonlyArray<MetricLabel.MetricLabel>

/** The label arrays of one partition (or of an unpartitioned resource). */
interface QueueLabels {
  readonly labels: Labels
  readonly outcome: Readonly<Record<Metrics.Outcome, Labels>>
}

/**
 * The partition label of takes through a partitioned resource's own
 * `Effect.Semaphore` API, which name no partition.
 */
const unpartitioned = "(none)"

const labelsFor = (base: Labels): QueueLabels => {
  const withOutcome = (outcome: Metrics.Outcome): Labels => [...base, MetricLabel.make("outcome", outcome)]
  return {
    labels: base,
    outcome: {
      acquired: withOutcome("acquired"),
      timeout: withOutcome("timeout"),
      "queue-full": withOutcome("queue-full"),
      interrupted: withOutcome("interrupted")
    }
  }
}

/** @internal */
export class ResourceMetrics implements Observer {
  private readonly resource: Labels
  private readonly byQueue = new Map<Queue, QueueLabels>()

  constructor(name: string, semaphore: SemaphoreImpl, private readonly clock: Clock.Clock) {
    this.resource = [MetricLabel.make("resource", name)]
    for (const queue of semaphore.queues) {
      this.byQueue.set(
        queue,
        labelsFor(
          semaphore.partitioned
            ? [...this.resource, MetricLabel.make("partition", queue.name ?? unpartitioned)]
            : this.resource
        )
      )
    }
    this.resized(semaphore)
    for (const queue of semaphore.queues) this.changed(semaphore, queue)
  }

  now(): number {
    return this.clock.unsafeCurrentTimeMillis()
  }

  changed(semaphore: SemaphoreImpl, queue: Queue): void {
    const resource = this.resource
    Metrics.inUse.unsafeUpdate(semaphore.taken, resource)
    Metrics.waiting.unsafeUpdate(semaphore.waiting, resource)
    if (semaphore.partitioned) {
      const labels = this.byQueue.get(queue)!.labels
      Metrics.partitionInUse.unsafeUpdate(queue.inUse, labels)
      Metrics.partitionWaiting.unsafeUpdate(queue.waiting, labels)
    }
  }

  resized(semaphore: SemaphoreImpl): void {
    Metrics.capacity.unsafeUpdate(semaphore.capacity, this.resource)
    if (!semaphore.partitioned) return
    for (const queue of semaphore.queues) {
      Metrics.partitionGuaranteed.unsafeUpdate(queue.guaranteed, this.byQueue.get(queue)!.labels)
    }
  }

  acquired(waiter: Waiter, waitedMillis: number): void {
    const labels = this.byQueue.get(waiter.queue)!
    Metrics.waitTime.unsafeUpdate(waitedMillis / 1000, labels.labels)
    Metrics.acquisitions.unsafeUpdate(1, labels.outcome.acquired)
  }

  failed(waiter: Waiter, outcome: "timeout" | "queue-full" | "interrupted"): void {
    const labels = this.byQueue.get(waiter.queue)!
    Metrics.waitTime.unsafeUpdate((this.now() - waiter.since) / 1000, labels.labels)
    Metrics.acquisitions.unsafeUpdate(1, labels.outcome[outcome])
  }

  released(waiter: Waiter, heldMillis: number, _ending: Ending): void {
    Metrics.holdTime.unsafeUpdate(heldMillis / 1000, this.byQueue.get(waiter.queue)!.labels)
  }
}
