/**
 * The limiter's deadlines: one timer for all the waiters of a limiter.
 *
 * A guard that has to wait registers its deadline here instead of racing
 * its wait against a sleep (`Effect.timeoutFail` forks two fibers per
 * waiter, which under overload was most of what a 503 cost the server).
 * Deadlines sit in a binary min-heap, ordered by time and then by
 * registration, and one fiber sleeps — through Effect's `Clock`, so
 * `TestClock` drives it — until the earliest of them; when it wakes, it
 * expires every deadline that has passed, in order, and sleeps again until
 * the next. Registering, cancelling (a waiter that got its permit, or was
 * interrupted) and expiring are O(log n); no fiber is forked per waiter.
 *
 * Deadlines mostly arrive in time order (one timeout per limiter, a
 * monotonic clock), so the sleeping fiber rarely needs to be woken early:
 * only a deadline earlier than the one it sleeps towards (a guard with a
 * shorter timeout of its own) replaces it with a new fiber. The fiber ends
 * when no deadline is left, and is started again by the next one.
 *
 * @internal
 */
import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"

/** What can be given a deadline: the heap keeps its own bookkeeping on it. */
export interface Expirable {
  /** The time (Clock millis) at which it expires. */
  deadline: number
  /** Its place in the heap, -1 when it is not in it. */
  heapIndex: number
  /** Registration order, which breaks ties between equal deadlines. */
  sequence: number
  /** Called once, by the timer, when the deadline has passed. */
  expire(): void
}

/** A function that starts an effect in a fiber of its own (`Runtime.runFork` of the limiter's runtime). */
export type RunFork = (effect: Effect.Effect<void>) => Fiber.RuntimeFiber<void>

const before = (a: Expirable, b: Expirable): boolean =>
  a.deadline < b.deadline || (a.deadline === b.deadline && a.sequence < b.sequence)

/** @internal */
export class Deadlines {
  private readonly heap: Array<Expirable> = []
  private sequence = 0
  /** The deadline the current fiber sleeps towards; `Infinity` when no fiber runs. */
  private armedAt = Infinity
  /** Bumped whenever a new fiber takes over, so that a replaced one stops at its next step. */
  private generation = 0
  private fiber: Fiber.RuntimeFiber<void> | null = null
  private closed = false

  constructor(private readonly clock: Clock.Clock, private readonly runFork: RunFork) {}

  /** The current time, on the clock deadlines are measured against. */
  now(): number {
    return this.clock.unsafeCurrentTimeMillis()
  }

  /** The number of deadlines waiting to pass. */
  get size(): number {
    return this.heap.length
  }

  /** Registers `entry`, whose `deadline` is set, to expire when it passes. */
  add(entry: Expirable): void {
    entry.sequence = this.sequence++
    entry.heapIndex = this.heap.length
    this.heap.push(entry)
    this.siftUp(entry.heapIndex)
    if (entry.deadline < this.armedAt && !this.closed) this.arm(entry.deadline)
  }

  /** Unregisters `entry` if it is registered; it will not expire. */
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
    // The fiber is left sleeping towards a deadline that may now be gone: it
    // wakes, finds nothing due, and sleeps on. Waking it early would cost more.
  }

  /** Stops the timer for good (the limiter's layer is closing). */
  close(): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.closed = true
      this.generation++
      const fiber = this.fiber
      this.fiber = null
      this.armedAt = Infinity
      return fiber === null ? Effect.void : Effect.asVoid(fiber.interruptAsFork(FiberId.none))
    })
  }

  /** Starts a fiber that sleeps until `at`, replacing the one that sleeps until later. */
  private arm(at: number): void {
    const generation = ++this.generation
    this.armedAt = at
    this.fiber?.unsafeInterruptAsFork(FiberId.none)
    this.fiber = this.runFork(this.loop(generation))
  }

  private loop(generation: number): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (generation !== this.generation) return Effect.void
      const now = this.now()
      let top = this.heap[0]
      while (top !== undefined && top.deadline <= now) {
        this.removeTop()
        top.expire()
        top = this.heap[0]
      }
      if (top === undefined) {
        this.armedAt = Infinity
        this.fiber = null
        return Effect.void
      }
      this.armedAt = top.deadline
      return Effect.zipRight(this.clock.sleep(Duration.millis(top.deadline - now)), this.loop(generation))
    })
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
