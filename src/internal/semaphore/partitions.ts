/**
 * A semaphore's partitions: which exist, and how many permits each is
 * guaranteed out of the capacity.
 *
 * @internal
 */
import { guaranteedPermits } from "../shares.js"
import { Queue } from "./queue.js"

/**
 * The queue's partitions. Index 0 is the semaphore's own: its only queue
 * when unpartitioned; when partitioned, the one of takes through the
 * `Effect.Semaphore` API, which name no partition and are owed nothing.
 *
 * @internal
 */
export const makeQueues = (
  partitions: ReadonlyArray<readonly [name: string, share: number]> | undefined
): ReadonlyArray<Queue> => [
  new Queue(undefined, 0),
  ...(partitions ?? []).map(([name, share]) => new Queue(name, share))
]

/**
 * Recomputes each partition's guaranteed permits from the capacity.
 *
 * @internal
 */
export const shareOut = (queues: ReadonlyArray<Queue>, capacity: number): void => {
  if (queues.length <= 1) return
  const named = queues.slice(1)
  const guaranteed = guaranteedPermits(capacity, named.map((queue) => queue.share))
  named.forEach((queue, i) => (queue.guaranteed = guaranteed[i]))
}
