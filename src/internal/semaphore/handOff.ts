/**
 * The semaphore's synchronous core: the permit count, the wait queue, and
 * the hand-off of freed permits to waiters.
 *
 * A release grants permits to waiters from the head while the head fits and
 * resumes exactly those fibers (Effect's own semaphore wakes every waiter
 * instead, each of which re-checks and re-queues at the back). A waiter that
 * gives up (its deadline passed, or it was interrupted) leaves the queue, or
 * passes on permits granted to it in the meantime.
 *
 * `SemaphoreImpl` extends this class rather than holding it, so that the
 * hot paths read their fields off one object, as they would in a single
 * class.
 *
 * @internal
 */
import * as Exit from "effect/Exit"
import { makeQueues, shareOut } from "./partitions.js"
import { nextWaiter, type Queue } from "./queue.js"
import { Done, type Ending, expired, Granted, Waiter, Waiting } from "./waiter.js"

/**
 * What the semaphore tells whoever watches it (the limiter's metrics). Every
 * call is synchronous and cheap: it runs on every acquisition.
 *
 * @internal
 */
export interface Observer {
  /** The current time in millis, on the clock waits and holds are measured with. */
  now(): number
  /** Permits in use or waiters of the semaphore (and of `queue`) changed. */
  changed(semaphore: HandOff, queue: Queue): void
  /** The capacity changed, and with it the partitions' guarantees. */
  resized(semaphore: HandOff): void
  /** `waiter` got its permits after waiting `waitedMillis`. */
  acquired(waiter: Waiter, waitedMillis: number): void
  /** `waiter` gave up: its deadline passed, the queue was full, or it was interrupted. */
  failed(waiter: Waiter, outcome: "timeout" | "queue-full" | "interrupted"): void
  /** `waiter`'s permits were released after `heldMillis`, when its effect ended as `ending`. */
  released(waiter: Waiter, heldMillis: number, ending: Ending): void
}

/**
 * How a semaphore queues: its order, its bound and its partitions.
 *
 * @internal
 */
export interface QueueOptions {
  /** `"lifo"` hands a freed permit to the newest waiter. Default `"fifo"`. */
  readonly order?: "fifo" | "lifo" | undefined
  /** The most waiters `acquireUntil` queues; more fail with `QueueFull`. Default unbounded. */
  readonly maxWaiting?: number | undefined
  /** Named partitions and their shares of the capacity (checked by the caller). */
  readonly partitions?: ReadonlyArray<readonly [name: string, share: number]> | undefined
}

/** @internal */
export class HandOff {
  capacity: number
  taken = 0
  waiting = 0
  /**
   * Bumped by `releaseAll`. Permits granted in an older epoch were already
   * given back by `releaseAll`, so releasing them again is skipped rather
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
  readonly queues: ReadonlyArray<Queue>
  /** Counts arrivals, to order waiters across partitions. */
  private arrivals = 0
  observer: Observer | null = null

  constructor(capacity: number, options?: QueueOptions) {
    this.capacity = capacity
    this.lifo = options?.order === "lifo"
    this.maxWaiting = options?.maxWaiting ?? Infinity
    this.queues = makeQueues(options?.partitions)
    shareOut(this.queues, this.capacity)
  }

  /** The partition called `name`, if there is one. */
  queueNamed(name: string): Queue | undefined {
    return this.queues.find((queue) => queue.name === name)
  }

  /** Whether the queue is split into named partitions. */
  get partitioned(): boolean {
    return this.queues.length > 1
  }

  protected changed(queue: Queue): void {
    if (this.observer !== null) this.observer.changed(this, queue)
  }

  // --- queue ---------------------------------------------------------------

  enqueue(waiter: Waiter): void {
    const queue = waiter.queue
    waiter.arrival = this.arrivals++
    queue.push(waiter)
    this.waiting++
    this.changed(queue)
  }

  unlink(waiter: Waiter): void {
    const queue = waiter.queue
    queue.unlink(waiter)
    this.waiting--
    this.changed(queue)
  }

  /** Whether `permits` can be taken now without passing anyone who waits. */
  canTakeNow(permits: number): boolean {
    return this.waiting === 0 && this.capacity - this.taken >= permits
  }

  // --- grants ----------------------------------------------------------------

  protected newWaiter(permits: number, queue: Queue): Waiter {
    const waiter = new Waiter(this, permits, queue)
    if (this.observer !== null) waiter.since = this.observer.now()
    return waiter
  }

  grantNow(waiter: Waiter): void {
    this.taken += waiter.permits
    waiter.inflight = this.taken
    waiter.queue.inUse += waiter.permits
    waiter.state = Granted
    waiter.epoch = this.epoch
    this.changed(waiter.queue)
  }

  /** Tells the observer, and restarts the waiter's clock for its hold. */
  protected granted(waiter: Waiter): void {
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
  wake(): void {
    // The next waiter is chosen afresh after every grant, so that the loop
    // stays right even if resuming a fiber were to run code that changes the
    // queue synchronously (it does not with the default scheduler, which
    // only schedules the fiber).
    let waiter = nextWaiter(this.queues, this.lifo)
    while (waiter !== null && this.capacity - this.taken >= waiter.permits) {
      this.unlink(waiter)
      waiter.deadlines?.remove(waiter)
      this.grantNow(waiter)
      this.granted(waiter)
      const resume = waiter.resume!
      waiter.resume = null
      // A constant: a hand-off allocates nothing beyond the fiber's resumption.
      resume(Exit.void)
      waiter = nextWaiter(this.queues, this.lifo)
    }
  }

  // --- returns ---------------------------------------------------------------

  /** A release of more than is taken: a permit released twice, or a `take` after `releaseAll` stole it. */
  protected checkRelease(permits: number): void {
    if (permits > this.taken) {
      throw new RangeError(
        `Semaphore.release: releasing ${permits} permit(s) but only ${this.taken} are taken ` +
          `(a permit released twice, or released without being taken)`
      )
    }
  }

  protected giveBack(permits: number, queue: Queue): void {
    this.taken -= permits
    this.changed(queue)
    this.wake()
  }

  /**
   * Returns the permits of a granted waiter, unless `releaseAll` already did.
   * The permits are counted back before the observer hears of the release
   * (an adaptive limit may resize the semaphore then), and handed on to the
   * waiters after it, whatever the observer does.
   */
  releaseGrant(waiter: Waiter, ending: Ending): void {
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

  // --- giving up -------------------------------------------------------------

  /** Takes a waiter that gives up out of the queue. */
  dequeue(waiter: Waiter): void {
    const wasNext = nextWaiter(this.queues, this.lifo) === waiter
    this.unlink(waiter)
    waiter.deadlines?.remove(waiter)
    waiter.resume = null
    waiter.state = Done
    // A next waiter that did not fit may have been holding back smaller takes.
    if (wasNext) this.wake()
  }

  /** The deadline of a queued waiter passed: it leaves the queue and its wait fails. */
  expire(waiter: Waiter): void {
    if (waiter.state !== Waiting) return
    const resume = waiter.resume!
    this.dequeue(waiter)
    try {
      this.observer?.failed(waiter, "timeout")
    } finally {
      resume(expired)
    }
  }

  /** The interrupted side of a wait; runs uninterruptibly. */
  abandon(waiter: Waiter): void {
    if (waiter.state === Waiting) {
      this.dequeue(waiter)
      this.observer?.failed(waiter, "interrupted")
    } else if (waiter.state === Granted) {
      // The grant raced the interruption: pass the permits on.
      waiter.state = Done
      if (waiter.epoch === this.epoch) {
        this.checkRelease(waiter.permits)
        waiter.queue.inUse = Math.max(0, waiter.queue.inUse - waiter.permits)
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
