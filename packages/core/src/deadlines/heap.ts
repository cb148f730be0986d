/**
 * The deadline heap: every pending deadline of a limiter, in a binary
 * min-heap ordered by time and then by registration, so that one timer can
 * serve all the waiters. Adding, removing and expiring an entry are
 * O(log n); entries keep their own place in the heap, so nothing is
 * allocated per entry.
 *
 * The heap knows no clock: each Effect line's timer (a fiber sleeping on its
 * own `Clock` until `peek()`'s deadline) calls `expireDue` when it wakes.
 */

/** What can be given a deadline: the heap keeps its own bookkeeping on it. */
export interface Expirable {
  /** The time (clock millis) at which it expires. */
  deadline: number
  /** Its place in the heap, -1 when it is not in it. */
  heapIndex: number
  /** Registration order, which breaks ties between equal deadlines. */
  sequence: number
  /** Called once, by the timer, when the deadline has passed. */
  expire(): void
}

/**
 * A timer a wait registers its deadline with: the heap plus a clock and
 * whatever wakes up to expire entries. Each Effect line implements it.
 */
export interface DeadlineTimer {
  /** The current time, on the clock deadlines are measured against. */
  now(): number
  /** Registers `entry`, whose `deadline` is set, to expire when it passes. */
  add(entry: Expirable): void
  /** Unregisters `entry` if it is registered; it will not expire. */
  remove(entry: Expirable): void
}

const before = (a: Expirable, b: Expirable): boolean =>
  a.deadline < b.deadline || (a.deadline === b.deadline && a.sequence < b.sequence)

/**
 * Runs `entry.expire()`, keeping the caller's loop alive whatever it throws
 * (it runs the semaphore's observers): the error is collected instead.
 */
const expireSafely = (entry: Expirable, errors: Array<unknown> | undefined): Array<unknown> | undefined => {
  try {
    entry.expire()
    return errors
  } catch (error) {
    if (errors === undefined) return [error]
    errors.push(error)
    return errors
  }
}

/** A binary min-heap of `Expirable`s, earliest deadline (then earliest registration) first. */
export class DeadlineHeap {
  private readonly heap: Array<Expirable> = []
  private sequence = 0

  /** The number of entries waiting to pass. */
  get size(): number {
    return this.heap.length
  }

  /** The entry that expires first, if any. */
  peek(): Expirable | undefined {
    return this.heap[0]
  }

  /** Inserts `entry`, whose `deadline` is set, after every entry with the same deadline. */
  add(entry: Expirable): void {
    entry.sequence = this.sequence++
    entry.heapIndex = this.heap.length
    this.heap.push(entry)
    this.siftUp(entry.heapIndex)
  }

  /** Takes `entry` out if it is in the heap; otherwise does nothing. */
  remove(entry: Expirable): void {
    const index = entry.heapIndex
    if (index < 0) return
    entry.heapIndex = -1
    const last = this.heap.pop()!
    if (index < this.heap.length) {
      this.heap[index] = last
      last.heapIndex = index
      this.siftDown(index)
      this.siftUp(last.heapIndex)
    }
  }

  /**
   * Expires, in order, the entries whose deadline is at or before `now`, at
   * most `limit` of them (the timer pauses between slices; see the Effect
   * lines' `Deadlines`). Each leaves the heap before its `expire` runs. An
   * `expire` that throws does not stop the others: the errors thrown are
   * returned, `undefined` when none was.
   */
  expireDue(now: number, limit: number): Array<unknown> | undefined {
    let errors: Array<unknown> | undefined
    let top = this.heap[0]
    for (let expired = 0; top !== undefined && top.deadline <= now && expired < limit; expired++) {
      this.removeTop()
      errors = expireSafely(top, errors)
      top = this.heap[0]
    }
    return errors
  }

  /**
   * Expires every entry at once, whatever its deadline: the timer is
   * stopping, and an entry left behind would never hear of its deadline.
   * Returns the errors thrown, as `expireDue` does.
   */
  expireAll(): Array<unknown> | undefined {
    let errors: Array<unknown> | undefined
    while (this.heap.length > 0) {
      const top = this.heap[0]!
      this.removeTop()
      errors = expireSafely(top, errors)
    }
    return errors
  }

  private removeTop(): void {
    const top = this.heap[0]!
    top.heapIndex = -1
    const last = this.heap.pop()!
    if (this.heap.length > 0) {
      this.heap[0] = last
      last.heapIndex = 0
      this.siftDown(0)
    }
  }

  private siftUp(index: number): void {
    const heap = this.heap
    const entry = heap[index]!
    while (index > 0) {
      const parentIndex = (index - 1) >> 1
      const parent = heap[parentIndex]!
      if (!before(entry, parent)) break
      heap[index] = parent
      parent.heapIndex = index
      index = parentIndex
    }
    heap[index] = entry
    entry.heapIndex = index
  }

  private siftDown(index: number): void {
    const heap = this.heap
    const length = heap.length
    const entry = heap[index]!
    for (;;) {
      const left = 2 * index + 1
      if (left >= length) break
      const right = left + 1
      const child = right < length && before(heap[right]!, heap[left]!) ? right : left
      if (!before(heap[child]!, entry)) break
      heap[index] = heap[child]!
      heap[index]!.heapIndex = index
      index = child
    }
    heap[index] = entry
    entry.heapIndex = index
  }
}
