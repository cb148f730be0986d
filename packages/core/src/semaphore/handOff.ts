/**
 * The semaphore's synchronous core: the permit count, the wait queue, and
 * the hand-off of freed permits to waiters. Both Effect lines extend it with
 * the effects that park and resume fibers.
 *
 * A wait, top to bottom: `tryGrant` takes free permits at once; otherwise
 * the Effect line parks its fiber and calls `park`, which queues the waiter
 * (`enqueue`). A release (`releaseGrant`, `giveBack`) or a resize calls
 * `wake`, which grants permits to waiters from the head while the head fits
 * (`grantNow`) and resumes exactly those fibers with `outcomes.granted`
 * (Effect's own semaphore wakes every waiter instead, each of which
 * re-checks and re-queues at the back). A waiter that gives up (`expire`:
 * its deadline passed; `abandon`: it was interrupted) leaves the queue, or
 * passes on permits granted to it in the meantime.
 *
 * The adapters extend this class rather than holding it, so that the hot
 * paths read their fields off one object, as they would in a single class.
 */
import type { DeadlineTimer } from "../deadlines/heap.js"
import { makeQueues, shareOut } from "./partitions.js"
import { nextWaiter, type Queue } from "./queue.js"
import { Done, type Ending, Granted, Held, type Outcomes, Waiter, Waiting } from "./waiter.js"

/**
 * What the semaphore tells whoever watches it (the limiter's metrics, an
 * adaptive limit). Every call is synchronous and cheap: it runs on every
 * acquisition.
 */
export interface Observer<R> {
  /** The current time in millis, on the clock waits and holds are measured with. */
  now(): number
  /** Permits in use or waiters of the semaphore (and of `queue`) changed. */
  changed(semaphore: HandOff<R>, queue: Queue<R>): void
  /** The capacity changed, and with it the partitions' guarantees. */
  resized(semaphore: HandOff<R>): void
  /** `waiter` got its permits after waiting `waitedMillis`. */
  acquired(waiter: Waiter<R>, waitedMillis: number): void
  /** `waiter` gave up: its deadline passed, the queue was full, or it was interrupted. */
  failed(waiter: Waiter<R>, outcome: "timeout" | "queue-full" | "interrupted"): void
  /** `waiter`'s permits were released after `heldMillis`, when its effect ended as `ending`. */
  released(waiter: Waiter<R>, heldMillis: number, ending: Ending): void
}

/** How a semaphore queues: its order, its bound and its partitions. */
export interface QueueOptions {
  /** `"lifo"` hands a freed permit to the newest waiter. Default `"fifo"`. */
  readonly order?: "fifo" | "lifo" | undefined
  /** The most waiters a bounded wait queues behind; more are refused. Default unbounded. */
  readonly maxWaiting?: number | undefined
  /** Named partitions and their shares of the capacity (checked by the caller). */
  readonly partitions?: ReadonlyArray<readonly [name: string, share: number]> | undefined
}

/** The permit count and wait queue of one semaphore; `R` is what a parked waiter is resumed with. */
export class HandOff<R> {
  capacity: number
  taken = 0
  waiting = 0
  /**
   * Bumped by `revokeAll`. Permits granted in an older epoch were already
   * given back by `revokeAll`, so releasing them again is skipped rather
   * than counted twice.
   */
  epoch = 0
  lifo: boolean
  maxWaiting: number
  /**
   * The queue's partitions. Index 0 is the semaphore's own: its only queue
   * when unpartitioned; when partitioned, the one of takes through the
   * `Effect.Semaphore` API, which name no partition and are owed nothing.
   */
  readonly queues: ReadonlyArray<Queue<R>>
  /** Counts arrivals, to order waiters across partitions. */
  private arrivals = 0
  observer: Observer<R> | null = null

  constructor(capacity: number, readonly outcomes: Outcomes<R>, options?: QueueOptions) {
    this.capacity = capacity
    this.lifo = options?.order === "lifo"
    this.maxWaiting = options?.maxWaiting ?? Infinity
    this.queues = makeQueues(options?.partitions)
    shareOut(this.queues, this.capacity)
  }

  /** The partition called `name`, if there is one. */
  queueNamed(name: string): Queue<R> | undefined {
    return this.queues.find((queue) => queue.name === name)
  }

  /** Whether the queue is split into named partitions. */
  get partitioned(): boolean {
    return this.queues.length > 1
  }

  protected changed(queue: Queue<R>): void {
    if (this.observer !== null) this.observer.changed(this, queue)
  }

  // --- a wait ----------------------------------------------------------------

  /** A new acquisition of `permits` from `queue`, not yet registered. */
  newWaiter(permits: number, queue: Queue<R>): Waiter<R> {
    const waiter = new Waiter(this, permits, queue)
    if (this.observer !== null) waiter.since = this.observer.now()
    return waiter
  }

  /** Whether `permits` can be taken now without passing anyone who waits. */
  canTakeNow(permits: number): boolean {
    return this.waiting === 0 && this.capacity - this.taken >= permits
  }

  /** Grants `waiter` its permits if that needs no wait; whether it did. */
  tryGrant(waiter: Waiter<R>): boolean {
    if (!this.canTakeNow(waiter.permits)) return false
    this.grantNow(waiter)
    this.granted(waiter)
    return true
  }

  /**
   * Takes `permits` now if that needs no wait, and answers the held grant
   * (or `null`), whose `release` gives them back. For callers that take and
   * install the release in one synchronous step of their own.
   */
  tryHold(permits: number, queue: Queue<R> = this.queues[0]): Waiter<R> | null {
    if (!this.canTakeNow(permits)) return null
    const waiter = this.newWaiter(permits, queue)
    this.grantNow(waiter)
    this.granted(waiter)
    waiter.state = Held
    return waiter
  }

  /** Whether the queue already holds `maxWaiting` waiters: a bounded wait is refused. */
  isFull(): boolean {
    return this.waiting >= this.maxWaiting
  }

  /** Refuses `waiter` because the queue is full; the caller fails it with `outcomes.queueFull`. */
  refuse(waiter: Waiter<R>): void {
    waiter.state = Done
    this.observer?.failed(waiter, "queue-full")
  }

  /**
   * Registers the wait of `waiter`, whose fiber the Effect line has just
   * parked, with `resume` to wake it. Re-checks first, since the fiber can
   * yield between `tryGrant` and here: free permits are granted at once, a
   * `bounded` wait finding the queue full is refused, a `deadline` (millis
   * on `deadlines`' clock) already passed expires it; each resumes it at
   * once. Otherwise the waiter queues until `wake` grants it (at once, if
   * it is the next waiter and fits), its deadline `expire`s it, or the
   * Effect line `abandon`s it.
   */
  park(
    waiter: Waiter<R>,
    resume: (outcome: R) => void,
    deadlines: DeadlineTimer | undefined,
    deadline: number,
    bounded: boolean
  ): void {
    if (this.tryGrant(waiter)) {
      resume(this.outcomes.granted)
    } else if (bounded && this.isFull()) {
      this.refuse(waiter)
      resume(this.outcomes.queueFull)
    } else if (deadlines !== undefined && deadline <= deadlines.now()) {
      waiter.state = Done
      try {
        this.observer?.failed(waiter, "timeout")
      } finally {
        resume(this.outcomes.expired)
      }
    } else {
      waiter.resume = resume
      waiter.state = Waiting
      this.enqueue(waiter)
      if (deadlines !== undefined) {
        waiter.deadlines = deadlines
        waiter.deadline = deadline
        deadlines.add(waiter)
      }
      // Queued behind someone who does not fit, it may still be the next
      // waiter: the newest under LIFO, or the first of a partition owed
      // permits. Then the free permits are its now, not at the next release.
      if (nextWaiter(this.queues, this.lifo) === waiter) this.wake()
    }
  }

  // --- the queue ---------------------------------------------------------------

  private enqueue(waiter: Waiter<R>): void {
    const queue = waiter.queue
    waiter.arrival = this.arrivals++
    queue.push(waiter)
    this.waiting++
    this.changed(queue)
  }

  private unlink(waiter: Waiter<R>): void {
    const queue = waiter.queue
    queue.unlink(waiter)
    this.waiting--
    this.changed(queue)
  }

  // --- grants ----------------------------------------------------------------

  private grantNow(waiter: Waiter<R>): void {
    this.taken += waiter.permits
    waiter.inflight = this.taken
    waiter.queue.inUse += waiter.permits
    waiter.state = Granted
    waiter.epoch = this.epoch
    this.changed(waiter.queue)
  }

  /** Tells the observer, and restarts the waiter's clock for its hold. */
  private granted(waiter: Waiter<R>): void {
    const observer = this.observer
    if (observer === null) return
    const now = observer.now()
    observer.acquired(waiter, now - waiter.since)
    waiter.since = now
  }

  /**
   * Grants permits to the next waiter while it fits. Strict: a next waiter
   * that does not fit blocks everyone else, even smaller takes. Each grant
   * is O(1) (O(partitions) when partitioned): it resumes exactly one fiber.
   */
  protected wake(): void {
    // A constant: a hand-off allocates nothing beyond the fiber's resumption.
    const outcome = this.outcomes.granted
    // The next waiter is chosen afresh after every grant, so that the loop
    // stays right even if resuming a fiber were to run code that changes the
    // queue synchronously (it does not with the default schedulers, which
    // only schedule the fiber).
    let waiter = nextWaiter(this.queues, this.lifo)
    while (waiter !== null && this.capacity - this.taken >= waiter.permits) {
      this.unlink(waiter)
      waiter.deadlines?.remove(waiter)
      this.grantNow(waiter)
      this.granted(waiter)
      const resume = waiter.resume!
      waiter.resume = null
      resume(outcome)
      waiter = nextWaiter(this.queues, this.lifo)
    }
  }

  // --- returns ---------------------------------------------------------------

  /** A release of more than is taken: a permit released twice, or a `take` after `revokeAll` stole it. */
  protected checkRelease(permits: number): void {
    if (permits > this.taken) {
      throw new RangeError(
        `Semaphore.release: releasing ${permits} permit(s) but only ${this.taken} are taken ` +
          `(a permit released twice, or released without being taken)`
      )
    }
  }

  /** Counts `permits` of `queue` as free again and hands them on. */
  protected giveBack(permits: number, queue: Queue<R>): void {
    queue.inUse = Math.max(0, queue.inUse - permits)
    this.taken -= permits
    this.changed(queue)
    this.wake()
  }

  /**
   * Returns the permits of a granted waiter, unless `revokeAll` already did.
   * The permits are counted back before the observer hears of the release
   * (an adaptive limit may resize the semaphore then), and handed on to the
   * waiters after it, whatever the observer does.
   */
  releaseGrant(waiter: Waiter<R>, ending: Ending): void {
    const observer = this.observer
    const heldMillis = observer === null ? 0 : observer.now() - waiter.since
    const returned = waiter.epoch === this.epoch
    if (returned) {
      this.checkRelease(waiter.permits)
      waiter.queue.inUse = Math.max(0, waiter.queue.inUse - waiter.permits)
      this.taken -= waiter.permits
    }
    try {
      if (observer !== null) observer.released(waiter, heldMillis, ending)
    } finally {
      if (returned) {
        this.changed(waiter.queue)
        this.wake()
      }
    }
  }

  /**
   * Counts every permit as free again and hands them to the waiters (the
   * `Effect.Semaphore`'s `releaseAll`). The grants made before are of an
   * older epoch: their own release later returns nothing.
   */
  revokeAll(): void {
    this.taken = 0
    for (const queue of this.queues) queue.inUse = 0
    this.epoch++
    for (const queue of this.queues) this.changed(queue)
    this.wake()
  }

  // --- giving up -------------------------------------------------------------

  /** Takes a waiter that gives up out of the queue. */
  private dequeue(waiter: Waiter<R>): void {
    const wasNext = nextWaiter(this.queues, this.lifo) === waiter
    this.unlink(waiter)
    waiter.deadlines?.remove(waiter)
    waiter.resume = null
    waiter.state = Done
    // A next waiter that did not fit may have been holding back smaller takes.
    if (wasNext) this.wake()
  }

  /** The deadline of a queued waiter passed: it leaves the queue and is resumed with `outcomes.expired`. */
  expire(waiter: Waiter<R>): void {
    if (waiter.state !== Waiting) return
    const resume = waiter.resume!
    this.dequeue(waiter)
    try {
      this.observer?.failed(waiter, "timeout")
    } finally {
      resume(this.outcomes.expired)
    }
  }

  /**
   * The wait of `waiter` was interrupted: it leaves the queue, or passes on
   * the permits granted to it in the meantime. The Effect line runs it
   * uninterruptibly, on the wait's failure.
   */
  abandon(waiter: Waiter<R>): void {
    if (waiter.state === Waiting) {
      this.dequeue(waiter)
      this.observer?.failed(waiter, "interrupted")
    } else if (waiter.state === Granted) {
      // The grant raced the interruption: pass the permits on.
      waiter.state = Done
      if (waiter.epoch === this.epoch) {
        this.checkRelease(waiter.permits)
        this.giveBack(waiter.permits, waiter.queue)
      }
    }
  }

  // --- capacity --------------------------------------------------------------

  /**
   * Sets the capacity and the partitions' guarantees. Growing admits waiters
   * at once; shrinking admits no one until usage falls under the new size.
   * Holders are never interrupted.
   */
  resizeTo(capacity: number): void {
    this.capacity = capacity
    shareOut(this.queues, this.capacity)
    this.observer?.resized(this)
    this.wake()
  }
}
