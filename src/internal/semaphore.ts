/**
 * The project's semaphore.
 *
 * Waiters sit in an intrusive doubly linked list (each `Waiter` is its own
 * list node), so enqueueing, granting the head and removing an interrupted
 * waiter are all O(1) and nothing ever scans or copies the queue.
 *
 * A waiter moves through these states:
 *
 * - `Idle`: created, not yet registered (an interruption that lands before
 *   the registration finds nothing to undo).
 * - `Waiting`: linked in the queue, no permits.
 * - `Granted`: unlinked; a releaser has already counted its permits as taken
 *   and resumed its fiber, but the fiber has not yet observed the grant.
 * - `Done`: the fiber observed the grant, or the waiter was abandoned.
 *
 * The acquiring fiber runs the whole acquisition uninterruptibly except the
 * wait itself, and handles a failed wait (always an interruption) in the
 * same uninterruptible region: a `Waiting` node is unlinked, a `Granted` node
 * gives its permits back, which hands them on to the next waiter. That is
 * what closes the race between a grant and an interruption.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type * as Semaphore from "../Semaphore.js"

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
const Done = 3
type State = typeof Idle | typeof Waiting | typeof Granted | typeof Done

/**
 * One queued acquisition. It is the list node itself, so a waiter costs one
 * small object (plus the closures of the `Effect.async` that parks it).
 */
class Waiter {
  prev: Waiter | null = null
  next: Waiter | null = null
  state: State = Idle
  /** The `releaseAll` epoch in which the permits were granted. */
  epoch = 0
  resume: ((effect: Effect.Effect<void>) => void) | null = null
  constructor(readonly permits: number) {}
}

const invalidPermits = (method: string, permits: number): RangeError =>
  new RangeError(`Semaphore.${method}: permits must be a positive integer, got ${String(permits)}`)

const isPermitCount = (permits: number): boolean => Number.isSafeInteger(permits) && permits > 0

/** @internal */
export const validateCapacity = (method: string, permits: number): void => {
  if (!(Number.isSafeInteger(permits) && permits >= 0)) {
    throw new RangeError(`Semaphore.${method}: capacity must be a non-negative integer, got ${String(permits)}`)
  }
}

class SemaphoreImpl implements Semaphore.Semaphore {
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
    let waiter = this.head
    while (waiter !== null && this.capacity - this.taken >= waiter.permits) {
      const next = waiter.next
      this.unlink(waiter)
      this.taken += waiter.permits
      waiter.state = Granted
      waiter.epoch = this.epoch
      const resume = waiter.resume!
      waiter.resume = null
      resume(Exit.void)
      waiter = next
    }
  }

  /** Whether `permits` can be taken now without passing anyone who waits. */
  canTakeNow(permits: number): boolean {
    return this.head === null && this.capacity - this.taken >= permits
  }

  unsafeRelease(permits: number): number {
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

  /** The interrupted (or failed) side of a wait; runs uninterruptibly. */
  abandon(waiter: Waiter): void {
    if (waiter.state === Waiting) {
      const wasHead = waiter.prev === null
      this.unlink(waiter)
      waiter.resume = null
      waiter.state = Done
      // A head that did not fit may have been holding back smaller takes.
      if (wasHead) this.wake()
    } else if (waiter.state === Granted) {
      // The grant raced the interruption: pass the permits on.
      waiter.state = Done
      this.releaseFrom(waiter.permits, waiter.epoch)
    }
  }

  /**
   * Takes `permits` and succeeds with the epoch they were taken in. Must run
   * in an uninterruptible region; `restore` decides whether the wait itself
   * is interruptible.
   */
  acquire(
    permits: number,
    restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  ): Effect.Effect<number> {
    if (this.canTakeNow(permits)) {
      this.taken += permits
      return Effect.succeed(this.epoch)
    }
    const waiter = new Waiter(permits)
    return Effect.matchCauseEffect(
      restore(Effect.async<void>((resume) => {
        // Re-check: permits may have freed up between the decision above and
        // the registration (the fiber can yield in between).
        if (this.canTakeNow(permits)) {
          this.taken += permits
          waiter.state = Granted
          waiter.epoch = this.epoch
          resume(Exit.void)
        } else {
          waiter.resume = resume
          waiter.state = Waiting
          this.enqueue(waiter)
        }
      })),
      {
        onFailure: (cause) => {
          this.abandon(waiter)
          return Effect.failCause(cause)
        },
        onSuccess: () => {
          waiter.state = Done
          return Effect.succeed(waiter.epoch)
        }
      }
    )
  }

  // --- Effect.Semaphore ----------------------------------------------------

  readonly take = (permits: number): Effect.Effect<number> =>
    isPermitCount(permits)
      ? Effect.uninterruptibleMask((restore) =>
        Effect.suspend(() => Effect.as(this.acquire(permits, restore), permits))
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
        Effect.flatMap(
          Effect.suspend(() => this.acquire(permits, restore)),
          (epoch) => Effect.ensuring(restore(self), Effect.sync(() => this.releaseFrom(permits, epoch)))
        )
      )
      : Effect.die(invalidPermits("withPermits", permits))

  readonly withPermitsIfAvailable = (permits: number) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<Option.Option<A>, E, R> =>
    isPermitCount(permits)
      ? Effect.uninterruptibleMask((restore) =>
        Effect.suspend(() => {
          if (!this.canTakeNow(permits)) {
            return Effect.succeedNone
          }
          this.taken += permits
          const epoch = this.epoch
          return Effect.ensuring(
            Effect.asSome(restore(self)),
            Effect.sync(() => this.releaseFrom(permits, epoch))
          )
        })
      )
      : Effect.die(invalidPermits("withPermitsIfAvailable", permits))

  // --- extras ----------------------------------------------------------------

  readonly tryTake = (permits: number): Effect.Effect<boolean> =>
    isPermitCount(permits)
      ? Effect.sync(() => {
        if (!this.canTakeNow(permits)) return false
        this.taken += permits
        return true
      })
      : Effect.die(invalidPermits("tryTake", permits))

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

/** @internal */
export const unsafeMake = (permits: number): Semaphore.Semaphore => {
  validateCapacity("make", permits)
  return new SemaphoreImpl(permits)
}

/** @internal */
export const make = (permits: number): Effect.Effect<Semaphore.Semaphore> => Effect.sync(() => unsafeMake(permits))
