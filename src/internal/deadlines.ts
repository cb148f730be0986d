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
 * Due deadlines expire in slices (`sliceSize`, 256 by default) with a pause
 * between (`sleep(0)` on the clock: a timer turn of the event loop, so the
 * server reads its sockets and answers other requests in between). Every
 * expired waiter's 503 is written in the same turn as its expiry, about
 * 10 µs each (`npm run bench:expiry-burst`): a timer that woke late (a GC
 * pause, a starved process) and found thousands due would otherwise write
 * them all in one turn. A slice is bounded to a few milliseconds; batches
 * of the usual size (tens, after a late wake under a spike) are not split,
 * so their last 503 is not pushed back by the turns a split costs.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
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

/**
 * A function that starts an effect in a fiber of its own, owned by the
 * limiter's scope (a `FiberHandle` runtime: starting a new fiber interrupts
 * the one it replaces, and closing the scope interrupts the last).
 */
export type RunFork = (effect: Effect.Effect<void>) => Fiber.RuntimeFiber<void>

/**
 * Expires `entry`, keeping the timer alive whatever its expiry throws (it
 * runs the semaphore's observers): the defect is collected for the log.
 */
const expireSafely = (entry: Expirable, defect: Cause.Cause<never> | undefined): Cause.Cause<never> | undefined => {
  try {
    entry.expire()
    return defect
  } catch (error) {
    return defect === undefined ? Cause.die(error) : Cause.sequential(defect, Cause.die(error))
  }
}

const logDefect = (defect: Cause.Cause<never>): Effect.Effect<void> =>
  Effect.logError("Limiter: expiring a deadline threw; the other deadlines still expire on time", defect)

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

  /**
   * `sliceSize` due deadlines expire per event-loop turn; `pause` is what
   * runs between two slices (by default a zero sleep on `clock`: a timer
   * turn on the live clock, nothing under `TestClock`).
   */
  constructor(
    private readonly clock: Clock.Clock,
    private readonly runFork: RunFork,
    private readonly sliceSize = 256,
    private readonly pause: Effect.Effect<void> = clock.sleep(Duration.zero)
  ) {}

  /** The current time, on the clock deadlines are measured against. */
  now(): number {
    return this.clock.unsafeCurrentTimeMillis()
  }

  /** The number of deadlines waiting to pass. */
  get size(): number {
    return this.heap.length
  }

  /** Registers `entry`, whose `deadline` is set, to expire when it passes (at once, once closed). */
  add(entry: Expirable): void {
    if (this.closed) {
      // No timer will run again: the wait fails at once rather than never.
      entry.expire()
      return
    }
    entry.sequence = this.sequence++
    entry.heapIndex = this.heap.length
    this.heap.push(entry)
    this.siftUp(entry.heapIndex)
    if (entry.deadline < this.armedAt) this.arm(entry.deadline)
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

  /**
   * Stops the timer for good (the limiter's layer is closing), and expires
   * the deadlines still registered, so that their waiters fail now instead
   * of waiting for a timer that no longer runs. The fiber itself belongs to
   * the layer's scope, which interrupts it.
   */
  close(): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.closed = true
      this.generation++
      const fiber = this.fiber
      this.fiber = null
      this.armedAt = Infinity
      const defect = this.expireAll()
      const stop = fiber === null ? Effect.void : Effect.asVoid(fiber.interruptAsFork(FiberId.none))
      return defect === undefined ? stop : Effect.zipRight(logDefect(defect), stop)
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
      let defect: Cause.Cause<never> | undefined
      let expired = 0
      while (top !== undefined && top.deadline <= now && expired < this.sliceSize) {
        this.removeTop()
        defect = expireSafely(top, defect)
        top = this.heap[0]
        expired++
      }
      const next = top === undefined
        ? Effect.void
        : top.deadline <= now
        // More are due: the rest after a turn of the event loop.
        ? Effect.zipRight(this.pause, this.loop(generation))
        : this.sleepUntil(top.deadline, now, generation)
      if (top === undefined) {
        this.armedAt = Infinity
        this.fiber = null
      } else {
        this.armedAt = top.deadline
      }
      return defect === undefined ? next : Effect.zipRight(logDefect(defect), next)
    })
  }

  private sleepUntil(deadline: number, now: number, generation: number): Effect.Effect<void> {
    return Effect.zipRight(this.clock.sleep(Duration.millis(deadline - now)), this.loop(generation))
  }

  /**
   * Expires every deadline still registered, at once: the timer is stopping,
   * and a waiter left queued would otherwise never hear of its deadline.
   */
  private expireAll(): Cause.Cause<never> | undefined {
    let defect: Cause.Cause<never> | undefined
    while (this.heap.length > 0) {
      const top = this.heap[0]!
      this.removeTop()
      defect = expireSafely(top, defect)
    }
    return defect
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
