/**
 * What a limiter reports of each resource (`Limiter.stats`): its
 * semaphore's stats, its queue bound, and the state of each partition.
 */
import type { CheckedSemaphore, SemaphoreStats } from "../semaphore/checked.js"

/** The state of one partition of a resource. */
export interface PartitionStats {
  readonly partition: string
  readonly guaranteed: number
  readonly inUse: number
  readonly waiting: number
}

/** The state of one resource of a limiter. */
export interface ResourceStats extends SemaphoreStats {
  readonly resource: string
  readonly maxWaiting: number
  readonly partitions?: ReadonlyArray<PartitionStats> | undefined
}

/** The stats of the resource called `resource`, whose semaphore is `semaphore`. */
export const resourceStats = <R>(resource: string, semaphore: CheckedSemaphore<R>): ResourceStats => {
  const stats = { resource, ...semaphore.unsafeStats(), maxWaiting: semaphore.maxWaiting }
  if (!semaphore.partitioned) return stats
  return {
    ...stats,
    // Queue 0 is the semaphore's own; the partitions follow, each named.
    partitions: semaphore.queues.slice(1).map((queue) => ({
      partition: queue.name!,
      guaranteed: queue.guaranteed,
      inUse: queue.inUse,
      waiting: queue.waiting
    }))
  }
}
