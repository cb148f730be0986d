/**
 * The wait queue. Waiters sit in an intrusive doubly linked list (each
 * `Waiter` is its own list node), so enqueueing, granting the head and
 * removing an interrupted waiter are all O(1) and nothing ever scans or
 * copies the queue.
 *
 * The queue can be split into partitions (`Queue`s), each guaranteed a
 * number of permits: a freed permit goes first to the oldest (LIFO: newest)
 * waiter of a partition holding less than its guarantee, and otherwise to
 * the oldest (newest) waiter of any partition, which borrows capacity no
 * waiting partition is owed. An unpartitioned semaphore has one queue and
 * the rule reduces to plain FIFO (LIFO).
 */
import type { Waiter } from "./waiter.js"

/**
 * One partition of a semaphore's queue: its waiters, the permits its
 * holders have, and the permits it is guaranteed under contention. An
 * unpartitioned semaphore has a single nameless one.
 */
export class Queue<R> {
  /** The oldest waiter. */
  head: Waiter<R> | null = null
  /** The newest waiter. */
  tail: Waiter<R> | null = null
  waiting = 0
  /** Permits its holders have. */
  inUse = 0
  /** Permits it is owed under contention, its share of the capacity (see `shareOut`). */
  guaranteed = 0
  constructor(readonly name: string | undefined, readonly share: number) {}

  /** Links `waiter` at the tail. */
  push(waiter: Waiter<R>): void {
    waiter.prev = this.tail
    if (this.tail === null) {
      this.head = waiter
    } else {
      this.tail.next = waiter
    }
    this.tail = waiter
    this.waiting++
  }

  /** Unlinks `waiter`, wherever it is in the list. */
  unlink(waiter: Waiter<R>): void {
    if (waiter.prev === null) {
      this.head = waiter.next
    } else {
      waiter.prev.next = waiter.next
    }
    if (waiter.next === null) {
      this.tail = waiter.prev
    } else {
      waiter.next.prev = waiter.prev
    }
    waiter.prev = null
    waiter.next = null
    this.waiting--
  }
}

/**
 * The waiter the next free permits go to: the oldest (LIFO: newest) of a
 * partition below its guarantee, else the oldest (newest) of any.
 */
export const nextWaiter = <R>(queues: ReadonlyArray<Queue<R>>, lifo: boolean): Waiter<R> | null => {
  if (queues.length === 1) return lifo ? queues[0].tail : queues[0].head
  let best: Waiter<R> | null = null
  let bestOwed = false
  for (let i = 0; i < queues.length; i++) {
    const queue = queues[i]
    const candidate = lifo ? queue.tail : queue.head
    if (candidate === null) continue
    const owed = queue.inUse < queue.guaranteed
    if (
      best === null || (owed && !bestOwed) ||
      (owed === bestOwed && (lifo ? candidate.arrival > best.arrival : candidate.arrival < best.arrival))
    ) {
      best = candidate
      bestOwed = owed
    }
  }
  return best
}
