/**
 * One acquisition of a semaphore's permits, queued or not, and what a
 * parked one is resumed with.
 *
 * Every acquisition is recorded in a `Waiter`, which goes through:
 *
 * - `Idle`: created, not yet registered (an interruption that lands before
 *   the registration finds nothing to undo).
 * - `Waiting`: linked in the queue, no permits.
 * - `Granted`: permits counted as taken for it, but not yet owned by the
 *   caller (a releaser may have resumed its fiber, which has not run yet).
 * - `Held`: the caller owns the permits; releasing them (once) ends it.
 * - `Done`: released, expired, refused or abandoned.
 *
 * The core parks nothing itself: an Effect line parks the fiber and hands
 * the core its `resume` callback, which the core calls with one of the
 * `Outcomes` that line supplied (its own `Exit` values). `R` is their type.
 */
import type { DeadlineTimer, Expirable } from "../deadlines/heap.js"
import type { HandOff } from "./handOff.js"
import type { Queue } from "./queue.js"

/** Created, not yet registered. */
export const Idle = 0
/** Linked in the queue, no permits. */
export const Waiting = 1
/** Permits taken for it, not yet the caller's. */
export const Granted = 2
/** The caller owns the permits. */
export const Held = 3
/** Released, expired, refused or abandoned. */
export const Done = 4

/** A waiter's state: `Idle`, `Waiting`, `Granted`, `Held` or `Done`. */
export type State = typeof Idle | typeof Waiting | typeof Granted | typeof Held | typeof Done

/**
 * What a parked waiter is resumed with, one constant each, supplied once per
 * semaphore by the Effect line: a resumption allocates nothing.
 */
export interface Outcomes<R> {
  /** The permits were handed over. */
  readonly granted: R
  /** The deadline passed first (the line's failure with `DeadlinePassed`). */
  readonly expired: R
  /** The queue already held `maxWaiting` waiters (the line's failure with `QueueFull`). */
  readonly queueFull: R
}

/**
 * The failure of a wait whose deadline passed. One constant, shared by both
 * Effect lines (`Symbol.for`), so an expiry allocates nothing.
 */
export const DeadlinePassed: unique symbol = Symbol.for("effect-concurrency-limiter/Semaphore/DeadlinePassed")

/** The type of `DeadlinePassed`. */
export type DeadlinePassed = typeof DeadlinePassed

/** The failure of a wait refused because the queue already holds `maxWaiting` waiters. One constant. */
export const QueueFull: unique symbol = Symbol.for("effect-concurrency-limiter/Semaphore/QueueFull")

/** The type of `QueueFull`. */
export type QueueFull = typeof QueueFull

/**
 * How the effect that held a grant ended: it succeeded, it failed (or died),
 * or it was interrupted — or never ran, its guard having failed to get a
 * later resource.
 */
export type Ending = "success" | "failure" | "interrupted"

/**
 * One acquisition. It is the list node itself, and its own entry in the
 * deadline heap, so a queued waiter costs one small object (plus whatever
 * the Effect line needs to park its fiber). Once granted it is the caller's
 * receipt for the permits: `release` returns them exactly once.
 */
export class Waiter<R> implements Expirable {
  prev: Waiter<R> | null = null
  next: Waiter<R> | null = null
  state: State = Idle
  /** The `revokeAll` epoch in which the permits were granted. */
  epoch = 0
  /** Resumes the parked fiber; set while `Waiting`. */
  resume: ((outcome: R) => void) | null = null
  /** Where the deadline, if any, is registered. */
  deadlines: DeadlineTimer | null = null
  deadline = Infinity
  heapIndex = -1
  sequence = 0
  /** Arrival order in the queue: what FIFO and LIFO compare across partitions. */
  arrival = 0
  /** When the acquisition started, then when it was granted (observer's clock; only kept when observed). */
  since = 0
  /** The permits in use once this grant was made, its own included. */
  inflight = 0
  constructor(readonly semaphore: HandOff<R>, readonly permits: number, readonly queue: Queue<R>) {}

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
   * `revokeAll` already returned them, so that no permit is ever released
   * twice and the available count never exceeds the capacity.
   */
  release(ending: Ending = "success"): void {
    if (this.state !== Held) return
    this.state = Done
    this.semaphore.releaseGrant(this, ending)
  }
}
