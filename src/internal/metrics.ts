/**
 * A limiter's series of the `Metrics` module's metrics, and the observer
 * that feeds a resource's semaphore events into them.
 *
 * Every series of a limiter carries its labels in one order: `limiter`
 * (its `name`), `resource`, then `partition`, `outcome` or `algorithm`
 * where they apply, then the metric labels that were in force where the
 * layer was built (`Effect.tagMetrics`). That is the order `Metric.tagged`
 * builds when a reader tags `limiter` first, so `Metric.value` finds them.
 *
 * Every update goes straight to the metric's hook with a label array built
 * here once (per resource, partition and outcome): Effect caches a tagged
 * metric's hook by the identity of that array, so an update is a lookup and
 * a few field writes, with no label set or key built. (`Metric.tagged` per
 * update would build a new label set, and a new key to look up, every time;
 * and `Metric.update` would read the labels of whichever fiber happens to
 * release a permit, not the limiter's.)
 *
 * @internal
 */
import type * as Clock from "effect/Clock"
import type * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import { globalValue } from "effect/GlobalValue"
import * as Metric from "effect/Metric"
import * as MetricLabel from "effect/MetricLabel"
import type * as MetricRegistry from "effect/MetricRegistry"
import type * as Scope from "effect/Scope"
import type { LimiterConfigError } from "../LimiterConfigError.js"
import * as Metrics from "../Metrics.js"
import { fromEither, orDefault, refuse, resolveUnknown, validateName } from "./options.js"
import type { Ending, HandOff, Observer, Queue, SemaphoreImpl, Waiter } from "./semaphore.js"

type Labels = ReadonlyArray<MetricLabel.MetricLabel>

/** The `name` of a limiter given none. */
export const defaultName = "default"

/** The labels the library sets: a fiber's label of the same key would make a series with two of them. */
const ownKeys: ReadonlySet<string> = new Set(["limiter", "resource", "partition", "outcome", "algorithm"])

/**
 * The series of the limiters alive now, by the registry they write to. On
 * Effect's global registry, not in this module: two copies of this package
 * that load one copy of Effect write one registry, and must see each
 * other's limiters; two copies of Effect have two registries, which cannot
 * collide. The key is versioned by the shape of what it holds.
 */
const liveSeries = globalValue(
  Symbol.for("effect-concurrency-limiter/Metrics/liveSeries/v1"),
  () => new WeakMap<MetricRegistry.MetricRegistry, Set<string>>()
)

const liveIn = (registry: MetricRegistry.MetricRegistry): Set<string> => {
  let live = liveSeries.get(registry)
  if (live === undefined) {
    live = new Set()
    liveSeries.set(registry, live)
  }
  return live
}

/** A resource's series, reset when their limiter closes. */
interface Member {
  reset(): void
}

/** @internal */
export class LimiterSeries {
  private readonly members: Array<Member> = []

  constructor(readonly name: string, private readonly tags: Labels) {}

  /** The label array of one series: `limiter`, `own`, then the labels the layer was built under. */
  labels(own: Labels): Labels {
    return [MetricLabel.make("limiter", this.name), ...own, ...this.tags]
  }

  add(member: Member): void {
    this.members.push(member)
  }

  reset(): void {
    for (const member of this.members) member.reset()
  }
}

/** What identifies a resource's series: the limiter's name, the resource, the other labels in any order. */
const identity = (name: string, resource: string, tags: Labels): string =>
  JSON.stringify([name, resource, tags.map((tag) => [tag.key, tag.value]).sort()])

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
    const tags = (yield* FiberRef.get(FiberRef.currentMetricLabels)).filter((tag) => !ownKeys.has(tag.key))
    const ids = resources.map((resource) => identity(valid, resource, tags))
    return yield* Effect.acquireRelease(
      Effect.suspend(() => {
        const live = liveIn(Metric.globalMetricRegistry)
        const taken = ids.findIndex((id) => live.has(id))
        if (taken !== -1) {
          return refuse(
            "name",
            valid,
            `a name no other live limiter uses for resource "${resources[taken]}" under the same metric labels ` +
              "(the two would write one series)"
          )
        }
        for (const id of ids) live.add(id)
        return Effect.succeed(new LimiterSeries(valid, tags))
      }),
      (series) =>
        Effect.sync(() => {
          series.reset()
          const live = liveIn(Metric.globalMetricRegistry)
          for (const id of ids) live.delete(id)
        })
    )
  })

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

/** @internal */
export const outcomeLabels = (
  series: LimiterSeries,
  own: Labels
): Readonly<Record<Metrics.Outcome, Labels>> => {
  const withOutcome = (outcome: Metrics.Outcome): Labels => series.labels([...own, MetricLabel.make("outcome", outcome)])
  return {
    acquired: withOutcome("acquired"),
    timeout: withOutcome("timeout"),
    "queue-full": withOutcome("queue-full"),
    interrupted: withOutcome("interrupted")
  }
}

/** @internal */
export class ResourceMetrics implements Observer {
  private readonly own: Labels
  private readonly resource: Labels
  private readonly byQueue = new Map<Queue, QueueLabels>()
  /** The adaptive limit's series, once it has been published. */
  private limitLabels: Labels | undefined
  /**
   * Set when the limiter closes: a holder that outlives its layer must not
   * write the series again once they are reset, nor into those of a
   * limiter of the same name built since.
   */
  private closed = false

  constructor(
    private readonly series: LimiterSeries,
    name: string,
    private readonly semaphore: SemaphoreImpl,
    private readonly clock: Clock.Clock
  ) {
    this.own = [MetricLabel.make("resource", name)]
    this.resource = series.labels(this.own)
    for (const queue of semaphore.queues) {
      const own = semaphore.partitioned
        ? [...this.own, MetricLabel.make("partition", queue.name ?? unpartitioned)]
        : this.own
      this.byQueue.set(queue, { labels: series.labels(own), outcome: outcomeLabels(series, own) })
    }
    series.add(this)
    this.resized(semaphore)
    for (const queue of semaphore.queues) this.changed(semaphore, queue)
  }

  now(): number {
    return this.clock.unsafeCurrentTimeMillis()
  }

  changed(semaphore: HandOff, queue: Queue): void {
    if (this.closed) return
    const resource = this.resource
    Metrics.inUse.unsafeUpdate(semaphore.taken, resource)
    Metrics.waiting.unsafeUpdate(semaphore.waiting, resource)
    if (semaphore.partitioned) {
      const labels = this.byQueue.get(queue)!.labels
      Metrics.partitionInUse.unsafeUpdate(queue.inUse, labels)
      Metrics.partitionWaiting.unsafeUpdate(queue.waiting, labels)
    }
  }

  resized(semaphore: HandOff): void {
    if (this.closed) return
    Metrics.capacity.unsafeUpdate(semaphore.capacity, this.resource)
    if (!semaphore.partitioned) return
    for (const queue of semaphore.queues) {
      Metrics.partitionGuaranteed.unsafeUpdate(queue.guaranteed, this.byQueue.get(queue)!.labels)
    }
  }

  /** An adaptive resource's limit, from its `AdaptiveCapacity`. */
  limit(value: number, algorithm: string): void {
    if (this.closed) return
    if (this.limitLabels === undefined) {
      this.limitLabels = this.series.labels([...this.own, MetricLabel.make("algorithm", algorithm)])
    }
    Metrics.limit.unsafeUpdate(value, this.limitLabels)
  }

  acquired(waiter: Waiter, waitedMillis: number): void {
    if (this.closed) return
    const labels = this.byQueue.get(waiter.queue)!
    Metrics.waitTime.unsafeUpdate(waitedMillis / 1000, labels.labels)
    Metrics.acquisitions.unsafeUpdate(1, labels.outcome.acquired)
  }

  failed(waiter: Waiter, outcome: "timeout" | "queue-full" | "interrupted"): void {
    if (this.closed) return
    const labels = this.byQueue.get(waiter.queue)!
    Metrics.waitTime.unsafeUpdate((this.now() - waiter.since) / 1000, labels.labels)
    Metrics.acquisitions.unsafeUpdate(1, labels.outcome[outcome])
  }

  released(waiter: Waiter, heldMillis: number, _ending: Ending): void {
    if (this.closed) return
    Metrics.holdTime.unsafeUpdate(heldMillis / 1000, this.byQueue.get(waiter.queue)!.labels)
  }

  /** Every gauge to 0, and no update after: the limiter closed. */
  reset(): void {
    this.closed = true
    Metrics.capacity.unsafeUpdate(0, this.resource)
    Metrics.inUse.unsafeUpdate(0, this.resource)
    Metrics.waiting.unsafeUpdate(0, this.resource)
    if (this.limitLabels !== undefined) Metrics.limit.unsafeUpdate(0, this.limitLabels)
    if (!this.semaphore.partitioned) return
    for (const { labels } of this.byQueue.values()) {
      Metrics.partitionGuaranteed.unsafeUpdate(0, labels)
      Metrics.partitionInUse.unsafeUpdate(0, labels)
      Metrics.partitionWaiting.unsafeUpdate(0, labels)
    }
  }
}
