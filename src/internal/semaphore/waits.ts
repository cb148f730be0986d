/**
 * Acquisitions as effects: taking permits at once when they are free, and
 * otherwise parking the fiber in the queue until a release hands them over,
 * its deadline passes, or it is interrupted.
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
import type { Deadlines } from "../deadlines.js"
import { HandOff } from "./handOff.js"
import type { Queue } from "./queue.js"
import { type DeadlinePassed, Done, expired, Held, type QueueFull, queueFull, type Waiter, Waiting } from "./waiter.js"

/** @internal */
export class Waits extends HandOff {
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
}
