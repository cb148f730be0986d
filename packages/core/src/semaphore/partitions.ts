/**
 * A semaphore's partitions: which exist, and how many permits each is
 * guaranteed out of the capacity.
 */
import { guaranteedPermits } from "../shares.js"
import { Queue } from "./queue.js"

/**
 * The queue's partitions. Index 0 is the semaphore's own: its only queue
 * when unpartitioned; when partitioned, the one of takes through the
 * `Effect.Semaphore` API, which name no partition and are owed nothing.
 */
export const makeQueues = <R>(
  partitions: ReadonlyArray<readonly [name: string, share: number]> | undefined
): ReadonlyArray<Queue<R>> => [
  new Queue<R>(undefined, 0),
  ...(partitions ?? []).map(([name, share]) => new Queue<R>(name, share))
]

/**
 * Recomputes each partition's guaranteed permits from the capacity.
 */
export const shareOut = <R>(queues: ReadonlyArray<Queue<R>>, capacity: number): void => {
  if (queues.length <= 1) return
  const named = queues.slice(1)
  const guaranteed = guaranteedPermits(capacity, named.map((queue) => queue.share))
  named.forEach((queue, i) => (queue.guaranteed = guaranteed[i]))
}
