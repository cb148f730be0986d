/**
 * One acquisition, and the ways a wait for one can fail.
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
 * @internal
 */
import type * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type { Deadlines, Expirable } from "../deadlines.js"
import type { HandOff } from "./handOff.js"
import type { Queue } from "./queue.js"

/** @internal */
export const Idle = 0
/** @internal */
export const Waiting = 1
/** @internal */
export const Granted = 2
/** @internal */
export const Held = 3
/** @internal */
export const Done = 4

/** @internal */
export type State = typeof Idle | typeof Waiting | typeof Granted | typeof Held | typeof Done

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

/** @internal */
export const expired = Exit.fail(DeadlinePassed)
/** @internal */
export const queueFull = Exit.fail(QueueFull)

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
  constructor(readonly semaphore: HandOff, readonly permits: number, readonly queue: Queue) {}

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
