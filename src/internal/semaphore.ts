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
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import { identity } from "effect/Function"
import type * as Option from "effect/Option"
import * as RuntimeFlags from "effect/RuntimeFlags"
import type * as Semaphore from "../Semaphore.js"
import type { Deadlines, Expirable } from "./deadlines.js"

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
  constructor(readonly semaphore: SemaphoreImpl, readonly permits: number) {}

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
  release(): void {
    if (this.state !== Held) return
    this.state = Done
    this.semaphore.releaseFrom(this.permits, this.epoch)
  }
}

const invalidPermits = (method: string, permits: number): RangeError =>
  new RangeError(`Semaphore.${method}: permits must be a positive integer, got ${String(permits)}`)

const isPermitCount = (permits: number): boolean => Number.isSafeInteger(permits) && permits > 0

const validateCapacity = (method: string, permits: number): void => {
  if (!(Number.isSafeInteger(permits) && permits >= 0)) {
    throw new RangeError(`Semaphore.${method}: capacity must be a non-negative integer, got ${String(permits)}`)
  }
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
  head: Waiter | null = null
  tail: Waiter | null = null

  constructor(capacity: number) {
    this.capacity = capacity
  }

  // --- queue ---------------------------------------------------------------

  enqueue(waiter: Waiter): void {
    waiter.prev = this.tail
    if (this.tail === null) {
      this.head = waiter
    } else {
      this.tail.next = waiter
    }
    this.tail = waiter
    this.waiting++
  }

  unlink(waiter: Waiter): void {
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

  /**
   * Grants permits to waiters from the head while the head fits. Strict FIFO:
   * a head that does not fit blocks everyone behind it, even smaller takes.
   * Each grant is O(1): it resumes exactly one fiber.
   */
  wake(): void {
    // The head is re-read after every grant (rather than following `next`)
    // so that the loop stays right even if resuming a fiber were to run code
    // that changes the queue synchronously (it does not with the default
    // scheduler, which only schedules the fiber).
    let waiter = this.head
    while (waiter !== null && this.capacity - this.taken >= waiter.permits) {
      this.unlink(waiter)
      waiter.deadlines?.remove(waiter)
      this.grantNow(waiter)
      const resume = waiter.resume!
      waiter.resume = null
      // A constant: a hand-off allocates nothing beyond the fiber's resumption.
      resume(Exit.void)
      waiter = this.head
    }
  }

  /** Whether `permits` can be taken now without passing anyone who waits. */
  canTakeNow(permits: number): boolean {
    return this.head === null && this.capacity - this.taken >= permits
  }

  unsafeRelease(permits: number): number {
    if (!isPermitCount(permits)) throw invalidPermits("unsafeRelease", permits)
    if (permits > this.taken) {
      throw new RangeError(
        `Semaphore.release: releasing ${permits} permit(s) but only ${this.taken} are taken ` +
          `(a permit released twice, or released without being taken)`
      )
    }
    this.taken -= permits
    this.wake()
    return this.capacity - this.taken
  }

  /** Releases permits taken in `epoch`, unless `releaseAll` already did. */
  releaseFrom(permits: number, epoch: number): void {
    if (epoch === this.epoch) {
      this.unsafeRelease(permits)
    }
  }

  /** Takes a waiter that gives up out of the queue. */
  dequeue(waiter: Waiter): void {
    const wasHead = waiter.prev === null
    this.unlink(waiter)
    waiter.deadlines?.remove(waiter)
    waiter.resume = null
    waiter.state = Done
    // A head that did not fit may have been holding back smaller takes.
    if (wasHead) this.wake()
  }

  /** The deadline of a queued waiter passed: it leaves the queue and its wait fails. */
  expire(waiter: Waiter): void {
    if (waiter.state !== Waiting) return
    const resume = waiter.resume!
    this.dequeue(waiter)
    resume(expired)
  }

  /** The interrupted (or failed) side of a wait; runs uninterruptibly. */
  abandon(waiter: Waiter): void {
    if (waiter.state === Waiting) {
      this.dequeue(waiter)
    } else if (waiter.state === Granted) {
      // The grant raced the interruption: pass the permits on.
      waiter.state = Done
      this.releaseFrom(waiter.permits, waiter.epoch)
    }
  }

  /**
   * Takes `permits` and succeeds with the waiter that records the grant, in
   * state `Granted`. Must run in an uninterruptible region; `restore` decides
   * whether the wait itself is interruptible. A failed wait (an interruption)
   * undoes itself here, in the same uninterruptible region, whether or not
   * the grant had already been made.
   *
   * With `deadlines`, a wait still queued at `deadline` (Clock millis) leaves
   * the queue and fails with `DeadlinePassed`; a deadline already passed
   * fails at once, without queueing, unless the permits are free right now.
   */
  acquire(
    permits: number,
    restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  ): Effect.Effect<Waiter> {
    return this.acquireUntil(permits, restore) as Effect.Effect<Waiter>
  }

  /** `acquire`, giving up when `deadline` passes on `deadlines`' clock. */
  acquireUntil(
    permits: number,
    restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>,
    deadlines?: Deadlines,
    deadline?: number
  ): Effect.Effect<Waiter, DeadlinePassed> {
    const waiter = new Waiter(this, permits)
    if (this.canTakeNow(permits)) {
      this.grantNow(waiter)
      return Effect.succeed(waiter)
    }
    return Effect.matchCauseEffect(
      restore(Effect.async<void, DeadlinePassed>((resume) => {
        // Re-check: permits may have freed up between the decision above and
        // the registration (the fiber can yield in between).
        if (this.canTakeNow(permits)) {
          this.grantNow(waiter)
          resume(Exit.void)
        } else if (deadlines !== undefined && deadline! <= deadlines.now()) {
          waiter.state = Done
          resume(expired)
        } else {
          waiter.resume = resume
          waiter.state = Waiting
          this.enqueue(waiter)
          if (deadlines !== undefined) {
            waiter.deadlines = deadlines
            waiter.deadline = deadline!
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

  grantNow(waiter: Waiter): void {
    this.taken += waiter.permits
    waiter.state = Granted
    waiter.epoch = this.epoch
  }

  /**
   * Takes `permits` now if that can be done without waiting and without
   * passing anyone already queued, and answers the held grant (or `null`),
   * whose `release` gives them back. Synchronous: for callers that take and
   * install the release in one uninterruptible step of their own.
   */
  tryHold(permits: number): Waiter | null {
    if (!this.canTakeNow(permits)) return null
    const waiter = new Waiter(this, permits)
    this.grantNow(waiter)
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
      this.taken -= waiter.permits
      this.wake()
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
          return permits
        })
    )
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
    this.epoch++
    this.wake()
    return this.capacity - this.taken
  })

  readonly resize = (permits: number): Effect.Effect<void> =>
    Effect.sync(() => {
      validateCapacity("resize", permits)
      this.capacity = permits
      this.wake()
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

  // --- extras ----------------------------------------------------------------

  readonly tryTake = (permits: number): Effect.Effect<boolean> =>
    isPermitCount(permits)
      ? Effect.sync(() => this.unsafeTryTake(permits))
      : Effect.die(invalidPermits("tryTake", permits))

  unsafeTryTake(permits: number): boolean {
    if (!isPermitCount(permits)) throw invalidPermits("unsafeTryTake", permits)
    if (!this.canTakeNow(permits)) return false
    this.taken += permits
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

/**
 * Releases held grants, the last one first.
 *
 * @internal
 */
export const releaseGrants = (grants: ReadonlyArray<Waiter>): void => {
  for (let i = grants.length - 1; i >= 0; i--) grants[i].release()
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
      releaseGrants(grants)
      return Effect.failCause(cause)
    },
    onSuccess: (a) => {
      releaseGrants(grants)
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
