/**
 * What a limiter writes to its series, and when: the semaphore observer
 * that feeds a resource's events into them, over a `Sink` each Effect line
 * supplies (its own `Metric`s and registry).
 *
 * Every series handle is built here once (per resource, partition and
 * outcome) and kept, so that an update is the sink's `update` on a handle
 * made in advance: no label set or metric key is built per acquisition.
 * (Effect 3 caches a tagged metric's hook by the identity of its label
 * array; Effect 4 a metric's series key by its attributes.) And the labels
 * are the limiter's, fixed at build, never those of whichever fiber takes
 * or releases a permit.
 */
import type { HandOff, Observer } from "../semaphore/handOff.js"
import type { Queue } from "../semaphore/queue.js"
import type { Ending, Waiter } from "../semaphore/waiter.js"
import type { MetricKey, Outcome } from "./definitions.js"
import { type Attributes, unpartitioned } from "./labels.js"

/** How an Effect line writes series: `S` is its handle on one series. */
export interface Sink<S> {
  /** The series of `metric` labelled `attributes` (in the limiter's order). Called once per series. */
  readonly series: (metric: MetricKey, attributes: Attributes) => S
  /** Sets a gauge, adds to a counter, or records an observation in a histogram. */
  readonly update: (series: S, value: number) => void
}

/** Something whose gauges go to 0 when its limiter closes, and which writes nothing after. */
interface Member {
  reset(): void
}

/** A limiter's series: its name, the labels its layer was built under, and the sink. */
export class LimiterSeries<S> {
  private readonly members: Array<Member> = []

  constructor(readonly name: string, readonly tags: Attributes, readonly sink: Sink<S>) {}

  /** The labels of one series: `limiter`, `own`, then the labels the layer was built under. */
  attributes(own: Attributes): Attributes {
    return [["limiter", this.name], ...own, ...this.tags]
  }

  /** The handle of `metric`'s series labelled `own` (between `limiter` and the build labels). */
  series(metric: MetricKey, own: Attributes): S {
    return this.sink.series(metric, this.attributes(own))
  }

  add(member: Member): void {
    this.members.push(member)
  }

  /** Every member's gauges to 0: the limiter closed. */
  reset(): void {
    for (const member of this.members) member.reset()
  }
}

/** The series of one queue: a partition's, or a whole resource's when it has no partitions. */
export class QueueSeries<S> {
  readonly waitTime: S
  readonly holdTime: S
  readonly outcome: Readonly<Record<Outcome, S>>

  constructor(limiter: LimiterSeries<S>, readonly own: Attributes) {
    this.waitTime = limiter.series("waitTime", own)
    this.holdTime = limiter.series("holdTime", own)
    const withOutcome = (outcome: Outcome): S => limiter.series("acquisitions", [...own, ["outcome", outcome]])
    this.outcome = {
      acquired: withOutcome("acquired"),
      timeout: withOutcome("timeout"),
      "queue-full": withOutcome("queue-full"),
      interrupted: withOutcome("interrupted")
    }
  }
}

/** A partition's series: its histograms and outcomes, and its gauges. */
export class PartitionSeries<S> extends QueueSeries<S> {
  readonly guaranteed: S
  readonly inUse: S
  readonly waiting: S

  constructor(limiter: LimiterSeries<S>, own: Attributes) {
    super(limiter, own)
    this.guaranteed = limiter.series("partitionGuaranteed", own)
    this.inUse = limiter.series("partitionInUse", own)
    this.waiting = limiter.series("partitionWaiting", own)
  }
}

/**
 * One resource's series, written from plain numbers: what the in-process
 * observer (`ResourceMetrics`) writes through, and what a resource held
 * elsewhere (Redis) writes directly, as one replica sees it.
 */
export class ResourceSeries<S> implements Member {
  private readonly sink: Sink<S>
  private readonly own: Attributes
  private readonly capacitySeries: S
  private readonly inUseSeries: S
  private readonly waitingSeries: S
  /** The histograms and outcomes of an unpartitioned resource. */
  readonly whole: QueueSeries<S>
  private readonly partitions: Array<PartitionSeries<S>> = []
  /** The adaptive limit's series, once it has been published. */
  private limitSeries: S | undefined
  /**
   * Set when the limiter closes: a holder that outlives its layer must not
   * write the series again once they are reset, nor into those of a
   * limiter of the same name built since.
   */
  closed = false

  constructor(private readonly limiter: LimiterSeries<S>, name: string) {
    this.sink = limiter.sink
    this.own = [["resource", name]]
    this.capacitySeries = limiter.series("capacity", this.own)
    this.inUseSeries = limiter.series("inUse", this.own)
    this.waitingSeries = limiter.series("waiting", this.own)
    this.whole = new QueueSeries(limiter, this.own)
    limiter.add(this)
  }

  /** The series of partition `name` (`undefined`: takes that name none). */
  partition(name: string | undefined): PartitionSeries<S> {
    const series = new PartitionSeries(this.limiter, [...this.own, ["partition", name ?? unpartitioned]])
    this.partitions.push(series)
    return series
  }

  capacity(capacity: number): void {
    if (!this.closed) this.sink.update(this.capacitySeries, capacity)
  }

  /** The resource's holders and waiters, now. */
  changed(inUse: number, waiting: number): void {
    if (this.closed) return
    this.sink.update(this.inUseSeries, inUse)
    this.sink.update(this.waitingSeries, waiting)
  }

  /** An adaptive resource's limit, labelled with its algorithm. */
  limit(value: number, algorithm: string): void {
    if (this.closed) return
    if (this.limitSeries === undefined) this.limitSeries = this.limiter.series("limit", [...this.own, ["algorithm", algorithm]])
    this.sink.update(this.limitSeries, value)
  }

  acquired(waitedMillis: number, queue: QueueSeries<S> = this.whole): void {
    if (this.closed) return
    this.sink.update(queue.waitTime, waitedMillis / 1000)
    this.sink.update(queue.outcome.acquired, 1)
  }

  /** A wait that gave up: its deadline passed, the queue was full, or it was interrupted. */
  failed(outcome: Exclude<Outcome, "acquired">, waitedMillis: number, queue: QueueSeries<S> = this.whole): void {
    if (this.closed) return
    this.sink.update(queue.waitTime, waitedMillis / 1000)
    this.sink.update(queue.outcome[outcome], 1)
  }

  released(heldMillis: number, queue: QueueSeries<S> = this.whole): void {
    if (!this.closed) this.sink.update(queue.holdTime, heldMillis / 1000)
  }

  /** A partition's holders and waiters, now. */
  partitionChanged(partition: PartitionSeries<S>, inUse: number, waiting: number): void {
    if (this.closed) return
    this.sink.update(partition.inUse, inUse)
    this.sink.update(partition.waiting, waiting)
  }

  /** A partition's guarantee, after a resize. */
  partitionResized(partition: PartitionSeries<S>, guaranteed: number): void {
    if (!this.closed) this.sink.update(partition.guaranteed, guaranteed)
  }

  /** Every gauge to 0, and no update after: the limiter closed. */
  reset(): void {
    this.closed = true
    const { sink } = this
    sink.update(this.capacitySeries, 0)
    sink.update(this.inUseSeries, 0)
    sink.update(this.waitingSeries, 0)
    if (this.limitSeries !== undefined) sink.update(this.limitSeries, 0)
    for (const partition of this.partitions) {
      sink.update(partition.guaranteed, 0)
      sink.update(partition.inUse, 0)
      sink.update(partition.waiting, 0)
    }
  }
}

/**
 * Feeds an in-process resource's semaphore events into its series: its
 * gauges as they change, each acquisition's wait and outcome, each hold.
 * A partitioned resource's histograms and outcomes are its partitions'.
 */
export class ResourceMetrics<R, S> implements Observer<R> {
  readonly series: ResourceSeries<S>
  private readonly byQueue = new Map<Queue<R>, QueueSeries<S>>()
  private readonly partitions = new Map<Queue<R>, PartitionSeries<S>>()

  constructor(
    limiter: LimiterSeries<S>,
    name: string,
    semaphore: HandOff<R>,
    /** The current time in millis, on the clock waits and holds are measured with. */
    readonly now: () => number
  ) {
    this.series = new ResourceSeries(limiter, name)
    for (const queue of semaphore.queues) {
      if (semaphore.partitioned) {
        const partition = this.series.partition(queue.name)
        this.partitions.set(queue, partition)
        this.byQueue.set(queue, partition)
      } else {
        this.byQueue.set(queue, this.series.whole)
      }
    }
    this.resized(semaphore)
    for (const queue of semaphore.queues) this.changed(semaphore, queue)
  }

  changed(semaphore: HandOff<R>, queue: Queue<R>): void {
    this.series.changed(semaphore.taken, semaphore.waiting)
    const partition = this.partitions.get(queue)
    if (partition !== undefined) this.series.partitionChanged(partition, queue.inUse, queue.waiting)
  }

  resized(semaphore: HandOff<R>): void {
    this.series.capacity(semaphore.capacity)
    for (const [queue, partition] of this.partitions) this.series.partitionResized(partition, queue.guaranteed)
  }

  /** An adaptive resource's limit, from the observer that runs its algorithm. */
  limit(value: number, algorithm: string): void {
    this.series.limit(value, algorithm)
  }

  acquired(waiter: Waiter<R>, waitedMillis: number): void {
    this.series.acquired(waitedMillis, this.byQueue.get(waiter.queue))
  }

  failed(waiter: Waiter<R>, outcome: "timeout" | "queue-full" | "interrupted"): void {
    if (this.series.closed) return
    // At least 0: an adaptive resource's observer stamps \`since\` on its own
    // clock, in fractional millis, which may be a little ahead of this one.
    this.series.failed(outcome, Math.max(0, this.now() - waiter.since), this.byQueue.get(waiter.queue))
  }

  released(waiter: Waiter<R>, heldMillis: number, _ending: Ending): void {
    this.series.released(heldMillis, this.byQueue.get(waiter.queue))
  }
}
