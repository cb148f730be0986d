/**
 * The project's semaphore.
 *
 * Waiters sit in an intrusive doubly linked list (each `Waiter` is its own
 * list node), so enqueueing, granting the head and removing an interrupted
 * waiter are all O(1) and nothing ever scans or copies the queue. A release
 * grants permits to waiters from the head while the head fits and resumes
 * exactly those fibers (Effect's own semaphore wakes every waiter instead,
 * each of which re-checks and re-queues at the back).
 *
 * The queue can be split into partitions (`Queue`s), each guaranteed a
 * number of permits: a freed permit goes first to the oldest (LIFO: newest)
 * waiter of a partition holding less than its guarantee, and otherwise to
 * the oldest (newest) waiter of any partition, which borrows capacity no
 * waiting partition is owed. An unpartitioned semaphore has one queue and
 * the rule reduces to plain FIFO (LIFO).
 *
 * Every acquisition (queued or not) is recorded in a `Waiter`:
 *
 * - `Idle`: created, not yet registered (an interruption that lands before
 *   the registration finds nothing to undo).
 * - `Waiting`: linked in the queue, no permits.
 * - `Granted`: permits counted as taken for it, but not yet owned by the
 *   caller (a releaser may have resumed its fiber, which has not run yet).
 * - `Held`: the caller owns the permits; releasing them (once) ends it.
 * - `Done`: released, expired, or abandoned.
 *
 * The acquiring fiber runs the whole acquisition uninterruptibly except the
 * wait itself, and handles a failed wait (always an interruption) in the
 * same uninterruptible region: a `Waiting` node is unlinked, a `Granted` node
 * gives its permits back, which hands them on to the next waiter. That is
 * what closes the race between a grant and an interruption. `withPermits`
 * installs the release before leaving that region; `take` from an
 * interruptible caller needs one more guard (see `takeInterruptibly`).
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import { identity } from "effect/Function"
import type * as Option from "effect/Option"
import * as RuntimeFlags from "effect/RuntimeFlags"
import type * as Semaphore from "../Semaphore.js"
import type { Deadlines, Expirable } from "./deadlines.js"
import { renderValue } from "./options.js"
import { guaranteedPermits } from "./shares.js"

/**
 * Typed through the public module (as effect's own internals do) so that the
 * public `TypeId` and this one are the same `unique symbol` type.
 *
 * @internal
 */
export const TypeId: Semaphore.TypeId = Symbol.for("effect-concurrency-limiter/Semaphore") as Semaphore.TypeId

const Idle = 0
const Waiting = 1
const Granted = 2
const Held = 3
const Done = 4

type State = typeof Idle | typeof Waiting | typeof Granted | typeof Held | typeof Done

/**
 * The failure of a wait whose deadline passed (see `acquire`). One constant:
 * an expiry allocates nothing.
 *
 * @internal
 */
export const DeadlinePassed: unique symbol = Symbol.for("effect-concurrency-limiter/Semaphore/DeadlinePassed")

/** @internal */
export type DeadlinePassed = typeof DeadlinePassed

/**
 * The failure of a wait refused because the queue already holds
 * `maxWaiting` waiters (see `acquireUntil`). One constant.
 *
 * @internal
 */
export const QueueFull: unique symbol = Symbol.for("effect-concurrency-limiter/Semaphore/QueueFull")

/** @internal */
export type QueueFull = typeof QueueFull

/**
 * One partition of a semaphore's queue: its waiters, the permits its
 * holders have, and the permits it is guaranteed under contention. An
 * unpartitioned semaphore has a single nameless one.
 *
 * @internal
 */
export class Queue {
  head: Waiter | null = null
  tail: Waiter | null = null
  waiting = 0
  inUse = 0
  guaranteed = 0
  constructor(readonly name: string | undefined, readonly share: number) {}
}

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
  changed(semaphore: SemaphoreImpl, queue: Queue): void
  /** The capacity changed, and with it the partitions' guarantees. */
  resized(semaphore: SemaphoreImpl): void
  /** `waiter` got its permits after waiting `waitedMillis`. */
  acquired(waiter: Waiter, waitedMillis: number): void
  /** `waiter` gave up: its deadline passed, the queue was full, or it was interrupted. */
  failed(waiter: Waiter, outcome: "timeout" | "queue-full" | "interrupted"): void
  /** `waiter`'s permits were released after `heldMillis`, when its effect ended as `ending`. */
  released(waiter: Waiter, heldMillis: number, ending: Ending): void
}

/**
 * How the effect that held a grant ended: it succeeded, it failed (or died),
 * or it was interrupted — or never ran, its guard having failed to get a
 * later resource.
 *
 * @internal
 */
export type Ending = "success" | "failure" | "interrupted"

/**
 * One acquisition. It is the list node itself, and its own entry in the
 * limiter's deadline heap, so a queued waiter costs one small object (plus
 * the closures of the `Effect.async` that parks it). Once granted it is the
 * caller's receipt for the permits: `release` returns them exactly once.
 *
 * @internal
 */
export class Waiter implements Expirable {
  prev: Waiter | null = null
  next: Waiter | null = null
  state: State = Idle
  /** The `releaseAll` epoch in which the permits were granted. */
  epoch = 0
  resume: ((effect: Effect.Effect<void, DeadlinePassed>) => void) | null = null
  /** Where the deadline, if any, is registered. */
  deadlines: Deadlines | null = null
  deadline = Infinity
  heapIndex = -1
  sequence = 0
  /** Arrival order in the queue: what FIFO and LIFO compare across partitions. */
  arrival = 0
  /** When the acquisition started, then when it was granted (observer's clock; only kept when observed). */
  since = 0
  /** The permits in use once this grant was made, its own included. */
  inflight = 0
  constructor(readonly semaphore: SemaphoreImpl, readonly permits: number, readonly queue: Queue) {}

  /** Called by the deadline timer: a wait still queued gives up. */
  expire(): void {
    this.semaphore.expire(this)
  }

  /** Marks a granted wait as the caller's own: from here on `release` returns its permits. */
  hold(): void {
    this.state = Held
  }

  /**
   * Returns the permits of a held grant. Idempotent, and skipped when
   * `releaseAll` already returned them, so that no permit is ever released
   * twice and the available count never exceeds the capacity.
   */
  release(ending: Ending = "success"): void {
    if (this.state !== Held) return
    this.state = Done
    this.semaphore.releaseGrant(this, ending)
  }
}

const invalidPermits = (method: string, permits: number): RangeError =>
  new RangeError(`Semaphore.${method}: permits must be a positive integer, got ${renderValue(permits)}`)

const isPermitCount = (permits: number): boolean => Number.isSafeInteger(permits) && permits > 0

const validateCapacity = (method: string, permits: number): void => {
  if (!(Number.isSafeInteger(permits) && permits >= 0)) {
    throw new RangeError(`Semaphore.${method}: capacity must be a non-negative integer, got ${renderValue(permits)}`)
  }
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
export class SemaphoreImpl implements Semaphore.Semaphore {
  readonly [TypeId]: Semaphore.TypeId = TypeId

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
  /**
   * Permits taken without a receipt (`take`, `tryTake`), the only ones a raw
   * `release` may give back: the permits of a guard or of `withPermits` are
   * returned by their own grant, to their own partition.
   */
  private unreceipted = 0
  observer: Observer | null = null
  /**
   * Set by the limiter that owns the semaphore: checks a capacity asked for
   * through the `Effect.Semaphore` API (`resize`) as the limiter checks its
   * own options, and throws when the limiter would refuse it.
   */
  checkResize: ((capacity: number) => void) | null = null

  constructor(capacity: number, options?: QueueOptions) {
    this.capacity = capacity
    this.lifo = options?.order === "lifo"
    this.maxWaiting = options?.maxWaiting ?? Infinity
    this.queues = [
      new Queue(undefined, 0),
      ...(options?.partitions ?? []).map(([name, share]) => new Queue(name, share))
    ]
    this.shareOut()
  }

  /** The partition called `name`, if there is one. */
  queueNamed(name: string): Queue | undefined {
    return this.queues.find((queue) => queue.name === name)
  }

  /** Whether the queue is split into named partitions. */
  get partitioned(): boolean {
    return this.queues.length > 1
  }

  /** Recomputes each partition's guaranteed permits from the capacity. */
  private shareOut(): void {
    if (!this.partitioned) return
    const named = this.queues.slice(1)
    const guaranteed = guaranteedPermits(this.capacity, named.map((queue) => queue.share))
    named.forEach((queue, i) => (queue.guaranteed = guaranteed[i]))
  }

  private changed(queue: Queue): void {
    if (this.observer !== null) this.observer.changed(this, queue)
  }

  // --- queue ---------------------------------------------------------------

  enqueue(waiter: Waiter): void {
    const queue = waiter.queue
    waiter.arrival = this.arrivals++
    waiter.prev = queue.tail
    if (queue.tail === null) {
      queue.head = waiter
    } else {
      queue.tail.next = waiter
    }
    queue.tail = waiter
    queue.waiting++
    this.waiting++
    this.changed(queue)
  }

  unlink(waiter: Waiter): void {
    const queue = waiter.queue
    if (waiter.prev === null) {
      queue.head = waiter.next
    } else {
      waiter.prev.next = waiter.next
    }
    if (waiter.next === null) {
      queue.tail = waiter.prev
    } else {
      waiter.next.prev = waiter.prev
    }
    waiter.prev = null
    waiter.next = null
    queue.waiting--
    this.waiting--
    this.changed(queue)
  }

  /**
   * The waiter the next free permits go to: the oldest (LIFO: newest) of a
   * partition below its guarantee, else the oldest (newest) of any.
   */
  next(): Waiter | null {
    const queues = this.queues
    if (queues.length === 1) return this.lifo ? queues[0].tail : queues[0].head
    let best: Waiter | null = null
    let bestOwed = false
    for (let i = 0; i < queues.length; i++) {
      const queue = queues[i]
      const candidate = this.lifo ? queue.tail : queue.head
      if (candidate === null) continue
      const owed = queue.inUse < queue.guaranteed
      if (
        best === null || (owed && !bestOwed) ||
        (owed === bestOwed && (this.lifo ? candidate.arrival > best.arrival : candidate.arrival < best.arrival))
      ) {
        best = candidate
        bestOwed = owed
      }
    }
    return best
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
    let waiter = this.next()
    while (waiter !== null && this.capacity - this.taken >= waiter.permits) {
      this.unlink(waiter)
      waiter.deadlines?.remove(waiter)
      this.grantNow(waiter)
      this.granted(waiter)
      const resume = waiter.resume!
      waiter.resume = null
      // A constant: a hand-off allocates nothing beyond the fiber's resumption.
      resume(Exit.void)
      waiter = this.next()
    }
  }

  /** Whether `permits` can be taken now without passing anyone who waits. */
  canTakeNow(permits: number): boolean {
    return this.waiting === 0 && this.capacity - this.taken >= permits
  }

  /** Returns permits taken without a receipt (`take`), counted against the semaphore's own queue. */
  unsafeRelease(permits: number): number {
    if (!isPermitCount(permits)) throw invalidPermits("unsafeRelease", permits)
    if (permits > this.unreceipted) {
      throw new RangeError(
        `Semaphore.release: releasing ${permits} permit(s) but only ${this.unreceipted} are taken by take or ` +
          "tryTake (a permit released twice, or one that withPermits or a guard holds)"
      )
    }
    this.checkRelease(permits)
    this.unreceipted -= permits
    const own = this.queues[0]
    own.inUse = Math.max(0, own.inUse - permits)
    this.giveBack(permits, own)
    return this.capacity - this.taken
  }

  /** A release of more than is taken: a permit released twice, or a `take` after `releaseAll` stole it. */
  private checkRelease(permits: number): void {
    if (permits > this.taken) {
      throw new RangeError(
        `Semaphore.release: releasing ${permits} permit(s) but only ${this.taken} are taken ` +
          `(a permit released twice, or released without being taken)`
      )
    }
  }

  private giveBack(permits: number, queue: Queue): void {
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

  /** Takes a waiter that gives up out of the queue. */
  dequeue(waiter: Waiter): void {
    const wasNext = this.next() === waiter
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

  /**
   * Takes `permits` and succeeds with the waiter that records the grant, in
   * state `Granted`. Must run in an uninterruptible region; `restore` decides
   * whether the wait itself is interruptible. A failed wait (an interruption)
   * undoes itself here, in the same uninterruptible region, whether or not
   * the grant had already been made. Not bounded by `maxWaiting`.
   */
  acquire(
    permits: number,
    restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  ): Effect.Effect<Waiter> {
    return this.wait(this.newWaiter(permits, this.queues[0]), restore, undefined, Infinity, false) as Effect.Effect<
      Waiter
    >
  }

  /**
   * `acquire` into `queue`, bounded by `maxWaiting`, giving up when
   * `deadline` (Clock millis) passes on `deadlines`' clock. A wait that would
   * make the queue longer than `maxWaiting` fails at once with `QueueFull`,
   * without queueing or arming a timer. A wait still queued at the deadline
   * leaves the queue and fails with `DeadlinePassed`; a deadline already
   * passed fails at once, without queueing, unless the permits are free now.
   */
  acquireUntil(
    permits: number,
    queue: Queue,
    restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>,
    deadlines: Deadlines | undefined,
    deadline: number
  ): Effect.Effect<Waiter, DeadlinePassed | QueueFull> {
    return this.wait(this.newWaiter(permits, queue), restore, deadlines, deadline, true)
  }

  private newWaiter(permits: number, queue: Queue): Waiter {
    const waiter = new Waiter(this, permits, queue)
    if (this.observer !== null) waiter.since = this.observer.now()
    return waiter
  }

  private wait(
    waiter: Waiter,
    restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>,
    deadlines: Deadlines | undefined,
    deadline: number,
    bounded: boolean
  ): Effect.Effect<Waiter, DeadlinePassed | QueueFull> {
    if (this.canTakeNow(waiter.permits)) {
      this.grantNow(waiter)
      this.granted(waiter)
      return Effect.succeed(waiter)
    }
    if (bounded && this.waiting >= this.maxWaiting) return this.refuse(waiter)
    return Effect.matchCauseEffect(
      restore(Effect.async<void, DeadlinePassed | QueueFull>((resume) => {
        // Re-check: permits may have freed up between the decision above and
        // the registration (the fiber can yield in between).
        if (this.canTakeNow(waiter.permits)) {
          this.grantNow(waiter)
          this.granted(waiter)
          resume(Exit.void)
        } else if (bounded && this.waiting >= this.maxWaiting) {
          resume(this.refuse(waiter))
        } else if (deadlines !== undefined && deadline <= deadlines.now()) {
          waiter.state = Done
          try {
            this.observer?.failed(waiter, "timeout")
          } finally {
            resume(expired)
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
        }
      })),
      {
        onFailure: (cause) => {
          this.abandon(waiter)
          return Effect.failCause(cause)
        },
        onSuccess: () => Effect.succeed(waiter)
      }
    )
  }

  private refuse(waiter: Waiter): Effect.Effect<never, QueueFull> {
    waiter.state = Done
    this.observer?.failed(waiter, "queue-full")
    return queueFull
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
  private granted(waiter: Waiter): void {
    const observer = this.observer
    if (observer === null) return
    const now = observer.now()
    observer.acquired(waiter, now - waiter.since)
    waiter.since = now
  }

  /**
   * Takes `permits` now if that can be done without waiting and without
   * passing anyone already queued, and answers the held grant (or `null`),
   * whose `release` gives them back. Synchronous: for callers that take and
   * install the release in one uninterruptible step of their own.
   */
  tryHold(permits: number, queue: Queue = this.queues[0]): Waiter | null {
    if (!this.canTakeNow(permits)) return null
    const waiter = this.newWaiter(permits, queue)
    this.grantNow(waiter)
    this.granted(waiter)
    waiter.state = Held
    return waiter
  }

  /**
   * Gives back the permits of a grant its fiber never claimed (see `take`),
   * when that fiber exits. Lenient: it runs inside the runtime's exit
   * observers, where a defect has nowhere to go.
   */
  reclaim(waiter: Waiter): void {
    if (waiter.state !== Granted) return
    waiter.state = Done
    if (waiter.epoch === this.epoch && waiter.permits <= this.taken) {
      waiter.queue.inUse = Math.max(0, waiter.queue.inUse - waiter.permits)
      this.giveBack(waiter.permits, waiter.queue)
    }
  }

  /**
   * `take` for a caller whose region is interruptible, e.g.
   * `Effect.acquireRelease(Effect.interruptible(sem.take(1)), release)`.
   *
   * Whatever runs between our uninterruptible region and the caller's next
   * step gives the runtime one point where it can observe an interruption
   * while the permits are ours but not yet the caller's (reverting to an
   * interruptible region always ends a run-loop step). So the grant stays
   * `Granted` across that point, guarded by an exit observer on the fiber,
   * and becomes the caller's in a final `sync` whose result goes straight to
   * the caller's continuation. If the interruption lands in between, the
   * observer returns the permits when the fiber exits.
   */
  takeInterruptibly(permits: number, fiber: Fiber.RuntimeFiber<unknown, unknown>): Effect.Effect<number> {
    let waiter: Waiter
    let observer: (exit: Exit.Exit<unknown, unknown>) => void
    return Effect.flatMap(
      Effect.uninterruptibleMask((restore) =>
        // The mask's body runs when the effect runs, so `acquire` sees the
        // state of that moment.
        Effect.map(this.acquire(permits, restore), (granted) => {
          waiter = granted
          observer = () => this.reclaim(granted)
          fiber.addObserver(observer)
        })
      ),
      () =>
        Effect.sync(() => {
          waiter.state = Done
          fiber.removeObserver(observer)
          this.unreceipt(waiter)
          return permits
        })
    )
  }

  /** The permits of a `take` are now the caller's, to `release` by count (unless `releaseAll` took them back). */
  private unreceipt(waiter: Waiter): void {
    if (waiter.epoch === this.epoch) this.unreceipted += waiter.permits
  }

  // --- Effect.Semaphore ----------------------------------------------------

  readonly take = (permits: number): Effect.Effect<number> =>
    isPermitCount(permits)
      ? Effect.withFiberRuntime<number>((fiber, status) =>
        RuntimeFlags.interruption(status.runtimeFlags)
          ? this.takeInterruptibly(permits, fiber)
          // Uninterruptible caller: nothing can interrupt between the grant
          // and the caller's next step, and the wait is uninterruptible too.
          : Effect.map(this.acquire(permits, identity), (waiter) => {
            waiter.state = Done
            this.unreceipt(waiter)
            return permits
          })
      )
      : Effect.die(invalidPermits("take", permits))

  readonly release = (permits: number): Effect.Effect<number> =>
    isPermitCount(permits)
      ? Effect.sync(() => this.unsafeRelease(permits))
      : Effect.die(invalidPermits("release", permits))

  readonly releaseAll: Effect.Effect<number> = Effect.sync(() => {
    this.taken = 0
    this.unreceipted = 0
    for (const queue of this.queues) queue.inUse = 0
    this.epoch++
    for (const queue of this.queues) this.changed(queue)
    this.wake()
    return this.capacity - this.taken
  })

  readonly resize = (permits: number): Effect.Effect<void> =>
    Effect.sync(() => {
      validateCapacity("resize", permits)
      if (this.checkResize !== null) this.checkResize(permits)
      this.resizeTo(permits)
    })

  readonly withPermits = (permits: number) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    isPermitCount(permits)
      ? Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(this.acquire(permits, restore), (waiter) => {
          // Everything from the grant to here ran uninterruptibly, and the
          // release is installed before `self` becomes interruptible.
          waiter.state = Held
          return holding(restore(self), [waiter])
        })
      )
      : Effect.die(invalidPermits("withPermits", permits))

  readonly withPermitsIfAvailable = (permits: number) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<Option.Option<A>, E, R> =>
    isPermitCount(permits)
      ? Effect.uninterruptibleMask((restore) => {
        const grant = this.tryHold(permits)
        return grant === null ? Effect.succeedNone : holding(Effect.asSome(restore(self)), [grant])
      })
      : Effect.die(invalidPermits("withPermitsIfAvailable", permits))

  /**
   * Sets the capacity and the partitions' guarantees. Growing admits waiters
   * at once; shrinking admits no one until usage falls under the new size.
   * Holders are never interrupted.
   */
  resizeTo(capacity: number): void {
    this.capacity = capacity
    this.shareOut()
    this.observer?.resized(this)
    this.wake()
  }

  // --- extras ----------------------------------------------------------------

  readonly tryTake = (permits: number): Effect.Effect<boolean> =>
    isPermitCount(permits)
      ? Effect.sync(() => this.unsafeTryTake(permits))
      : Effect.die(invalidPermits("tryTake", permits))

  unsafeTryTake(permits: number): boolean {
    if (!isPermitCount(permits)) throw invalidPermits("unsafeTryTake", permits)
    if (!this.canTakeNow(permits)) return false
    this.taken += permits
    this.unreceipted += permits
    this.queues[0].inUse += permits
    this.changed(this.queues[0])
    return true
  }

  readonly stats: Effect.Effect<Semaphore.Stats> = Effect.sync(() => this.unsafeStats())

  unsafeStats(): Semaphore.Stats {
    return { capacity: this.capacity, inUse: this.taken, waiting: this.waiting }
  }

  toJSON(): unknown {
    return { _id: "Semaphore", ...this.unsafeStats() }
  }

  toString(): string {
    return `Semaphore(${JSON.stringify(this.unsafeStats())})`
  }
}

const expired = Exit.fail(DeadlinePassed)
const queueFull = Exit.fail(QueueFull)

/**
 * Releases held grants, the last one first.
 *
 * @internal
 */
export const releaseGrants = (grants: ReadonlyArray<Waiter>, ending: Ending): void => {
  // A release that dies (permits released twice, after a `releaseAll` let a
  // raw `release` take them) must not keep the others from being released.
  let failed = false
  let defect: unknown
  for (let i = grants.length - 1; i >= 0; i--) {
    try {
      grants[i].release(ending)
    } catch (error) {
      if (!failed) defect = error
      failed = true
    }
  }
  if (failed) throw defect
}

/**
 * Runs `self` (already restored to the caller's interruptibility) holding
 * `grants`, and releases them in its exit handler, however it ends. Called
 * inside an uninterruptible region, so the handler is in place before
 * `self` can be interrupted. It is the whole cost of an uncontended guard,
 * so it builds no release effect and adds no region of its own.
 *
 * @internal
 */
export const holding = <A, E, R>(self: Effect.Effect<A, E, R>, grants: ReadonlyArray<Waiter>): Effect.Effect<A, E, R> =>
  Effect.matchCauseEffect(self, {
    onFailure: (cause) => {
      try {
        releaseGrants(grants, Cause.isInterruptedOnly(cause) ? "interrupted" : "failure")
      } catch (defect) {
        // As a finalizer's defect would: after the effect's own failure, not instead of it.
        return Effect.failCause(Cause.sequential(cause, Cause.die(defect)))
      }
      return Effect.failCause(cause)
    },
    onSuccess: (a) => {
      releaseGrants(grants, "success")
      return Effect.succeed(a)
    }
  })

/**
 * The implementation behind a public `Semaphore`, for the limiter, which
 * uses its grants and deadlines directly.
 *
 * @internal
 */
export const unsafeImpl = (semaphore: Semaphore.Semaphore): SemaphoreImpl => semaphore as SemaphoreImpl

/** @internal */
export const unsafeMake = (permits: number): Semaphore.Semaphore => {
  validateCapacity("make", permits)
  return new SemaphoreImpl(permits)
}

/** @internal */
export const make = (permits: number): Effect.Effect<Semaphore.Semaphore> => Effect.sync(() => unsafeMake(permits))
